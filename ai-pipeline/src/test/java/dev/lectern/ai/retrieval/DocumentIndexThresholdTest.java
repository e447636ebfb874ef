package dev.lectern.ai.retrieval;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Path;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The relevance threshold (the share of the question's distinct terms a passage must hold): the best passages by BM25
 * are checked against every term of the question, also of one longer than the query's term limit.
 */
class DocumentIndexThresholdTest {
    @TempDir
    Path dir;

    private static List<String> files(List<Passage> found) {
        return found.stream().map(Passage::fileId).toList();
    }

    @Test
    void aPassageMustHoldTheShareOfTheQuestionsTerms() {
        try (DocumentIndex index = new DocumentIndex(dir, 4)) {
            index.put("u", "two", 1, "two.txt", List.of(new Passages.Chunk(1, "Zorbl crystals glow violet.")));
            index.put("u", "one", 1, "one.txt", List.of(new Passages.Chunk(1, "Zorbl is rare.")));
            index.put("u", "none", 1, "none.txt", List.of(new Passages.Chunk(1, "Kelp grows in cold water.")));
            index.commit("u", 1);
            // terms: zorbl, crystal, orang: "two" holds 2 of 3, "one" 1 of 3
            assertThat(files(index.search("u", "zorbl crystals orange", 5, 0.6))).containsExactly("two");
            assertThat(files(index.search("u", "zorbl crystals orange", 5, 0.3))).containsExactly("two", "one");
            assertThat(files(index.search("u", "zorbl crystals orange", 5, 0.7))).isEmpty();
            assertThat(files(index.search("u", "zorbl crystals orange", 1, 0.3))).containsExactly("two");

            // 70 distinct terms (beyond the query's 64): the best passages are checked against all of them
            String filler = IntStream.range(0, 68).mapToObj(i -> "qx" + (char) ('a' + i / 26) + (char) ('a' + i % 26)
                    + "word").collect(Collectors.joining(" "));
            String longQuestion = "zorbl crystals " + filler;
            assertThat(index.terms(longQuestion)).hasSize(70);
            assertThat(files(index.search("u", longQuestion, 5, 0.02))).containsExactly("two"); // 2 of 70; "one" 1
            assertThat(files(index.search("u", longQuestion, 5, 0.5))).isEmpty();
        }
    }
}
