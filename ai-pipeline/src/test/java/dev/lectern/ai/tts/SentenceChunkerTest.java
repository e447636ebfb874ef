package dev.lectern.ai.tts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SentenceChunkerTest {
    /** Feeds the text in pieces of {@code step} characters, as a model would stream it, then flushes. */
    private static List<String> chunk(SentenceChunker c, String text, int step) {
        List<String> out = new ArrayList<>();
        for (int i = 0; i < text.length(); i += step) {
            out.addAll(c.feed(text.substring(i, Math.min(text.length(), i + step))));
        }
        out.addAll(c.flush());
        return out;
    }

    private static List<String> chunk(String text) {
        List<String> whole = chunk(new SentenceChunker(1, 250, 0), text, text.length());
        for (int step : new int[] {1, 2, 3, 7}) {
            assertThat(chunk(new SentenceChunker(1, 250, 0), text, step)).as("step %d", step).isEqualTo(whole);
        }
        return whole;
    }

    @Test
    void cutsAtSentenceEndsFollowedByText() {
        assertThat(chunk("Hello there. How are you? I am fine! Good; thanks"))
                .containsExactly("Hello there.", "How are you?", "I am fine!", "Good;", "thanks");
    }

    @Test
    void waitsForTheNextCharacterBeforeReleasing() {
        SentenceChunker c = new SentenceChunker(1, 250, 0);
        assertThat(c.feed("It costs $29.")).isEmpty();
        assertThat(c.feed(" ")).isEmpty();
        assertThat(c.feed("Next")).containsExactly("It costs $29.");
        assertThat(c.flush()).containsExactly("Next");
    }

    @Test
    void neverInsideNumbers() {
        assertThat(chunk("Pi is 3.14159 roughly. The value 2.5 is half of 5.0 exactly."))
                .containsExactly("Pi is 3.14159 roughly.", "The value 2.5 is half of 5.0 exactly.");
    }

    @Test
    void neverAfterAbbreviationsOrInitials() {
        assertThat(chunk("Ask Dr. Smith and Mrs. Jones, e.g. Paris or i.e. London. J. R. R. Tolkien wrote it. "
                + "The U.S. Army won. See Fig. 3 now."))
                .containsExactly("Ask Dr. Smith and Mrs. Jones, e.g. Paris or i.e. London.",
                        "J. R. R. Tolkien wrote it.", "The U.S. Army won.", "See Fig. 3 now.");
    }

    @Test
    void lowerCaseAfterADotContinuesTheSentence() {
        assertThat(chunk("Wait... and then it happened. Done."))
                .containsExactly("Wait... and then it happened.", "Done.");
    }

    @Test
    void closingQuotesStayWithTheirSentence() {
        assertThat(chunk("He said \"Stop!\" Then he left.")).containsExactly("He said \"Stop!\"", "Then he left.");
    }

    @Test
    void cjkTerminatorsNeedNoSpace() {
        assertThat(chunk("你好。世界！再见")).containsExactly("你好。", "世界！", "再见");
    }

    @Test
    void shortSentencesAreMergedUpToTheMinimum() {
        SentenceChunker c = new SentenceChunker(20, 250, 0);
        assertThat(chunk(c, "Yes. No. Maybe so. This is a long enough sentence. Ok.", 3))
                .containsExactly("Yes. No. Maybe so. This is a long enough sentence.", "Ok.");
    }

    @Test
    void longTextWithoutSentenceEndsIsCutAtASpaceByTheMaximum() {
        SentenceChunker c = new SentenceChunker(5, 30, 0);
        List<String> out = chunk(c, "one two three four five six seven eight nine ten eleven twelve", 4);
        assertThat(out).allSatisfy(s -> assertThat(s.length()).isLessThanOrEqualTo(30));
        assertThat(String.join(" ", out)).isEqualTo("one two three four five six seven eight nine ten eleven twelve");
        assertThat(out).allSatisfy(s -> assertThat(s).doesNotStartWith(" ").doesNotEndWith(" "));
    }

    @Test
    void aWordLongerThanTheMaximumIsCutHard() {
        SentenceChunker c = new SentenceChunker(1, 10, 0);
        assertThat(chunk(c, "abcdefghijklmnopqrstuvwxyz", 5)).containsExactly("abcdefghij", "klmnopqrst", "uvwxyz");
    }

    @Test
    void theFirstChunkMayEndAtAClauseOnceLongEnough() {
        SentenceChunker c = new SentenceChunker(5, 250, 25);
        assertThat(chunk(c, "Well, to find the derivative of a function, we first look at the rate of change, "
                + "then simplify. Next.", 4))
                .containsExactly("Well, to find the derivative of a function,",
                        "we first look at the rate of change, then simplify.", "Next.");
    }

    @Test
    void flushReleasesTheRestAndBlankIsNothing() {
        SentenceChunker c = new SentenceChunker(1, 250, 0);
        assertThat(c.feed("   ")).isEmpty();
        assertThat(c.flush()).isEmpty();
        c.feed("tail without end");
        assertThat(c.flush()).containsExactly("tail without end");
    }

    @Test
    void resetDropsBufferedText() {
        SentenceChunker c = new SentenceChunker(1, 250, 0);
        c.feed("half a sentence");
        c.reset();
        assertThat(c.flush()).isEmpty();
    }
}
