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
    void aDotFollowedByWhitespaceEndsTheSentenceWithoutTheNextToken() {
        SentenceChunker c = new SentenceChunker(1, 250, 0);
        assertThat(c.feed("It costs $29.")).isEmpty();
        assertThat(c.pending()).isTrue();
        assertThat(c.feed(" ")).containsExactly("It costs $29.");
        assertThat(c.pending()).isFalse();
        assertThat(c.feed("The derivative measures how fast a quantity changes over time. "))
                .containsExactly("The derivative measures how fast a quantity changes over time.");
        assertThat(c.feed("Next")).isEmpty();
        assertThat(c.flush()).containsExactly("Next");
    }

    @Test
    void ambiguousEndsArePendingUntilTextOrAQuietPeriodDecides() {
        SentenceChunker c = new SentenceChunker(1, 250, 0);
        assertThat(c.feed("Ask Dr.")).isEmpty();
        assertThat(c.pending()).isTrue();
        assertThat(c.feed(" ")).isEmpty(); // an abbreviation: not an end, still pending for a pause
        assertThat(c.pending()).isTrue();
        assertThat(c.feed("Smith")).isEmpty();
        assertThat(c.pending()).isFalse();
        assertThat(c.flushPending()).isEmpty();
        assertThat(c.feed(" in room 3.")).isEmpty();
        assertThat(c.pending()).isTrue();
        assertThat(c.feed("5 now")).isEmpty(); // "3.5": inside a number
        assertThat(c.pending()).isFalse();
        assertThat(c.feed(". Then")).containsExactly("Ask Dr. Smith in room 3.5 now.");
        assertThat(c.feed(" it ended.")).isEmpty();
        assertThat(c.flushPending()).containsExactly("Then it ended.");
        assertThat(c.pending()).isFalse();
        assertThat(c.flush()).isEmpty();
    }

    @Test
    void urlsAndEmailAddressesKeepTheirDots() {
        assertThat(chunk("Visit https://example.org/a.b?x=1 now. Mail bob@mail.example.org. See example.com. Done."))
                .containsExactly("Visit https://example.org/a.b?x=1 now.", "Mail bob@mail.example.org.",
                        "See example.com.", "Done.");
        SentenceChunker c = new SentenceChunker(1, 250, 0);
        c.feed("Open https://example.");
        assertThat(c.pending()).as("a URL in progress waits for more text").isFalse();
        assertThat(c.feed("org. ")).containsExactly("Open https://example.org.");
    }

    @Test
    void ellipsesDoNotEndASentence() {
        assertThat(chunk("Hmm… let me think. Well... Maybe not. Ok."))
                .containsExactly("Hmm… let me think.", "Well... Maybe not.", "Ok.");
    }

    @Test
    void cjkFullStopsEndAtOnceWhenAnythingFollows() {
        SentenceChunker c = new SentenceChunker(1, 250, 0);
        assertThat(c.feed("导数衡量变化的快慢。")).isEmpty();
        assertThat(c.pending()).as("a closing quote may still follow").isTrue();
        assertThat(c.feed("他说")).containsExactly("导数衡量变化的快慢。");
        assertThat(c.feed("：「真的吗？」好")).containsExactly("他说：「真的吗？」");
        assertThat(c.feed("！")).isEmpty();
        assertThat(c.flushPending()).containsExactly("好！");
        assertThat(chunk("第一句。第二句！第三句？第四")).containsExactly("第一句。", "第二句！", "第三句？", "第四");
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
