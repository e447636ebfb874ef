package dev.lectern.lessons.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import dev.lectern.lessons.testing.StrictVtt;
import java.util.List;
import org.junit.jupiter.api.Test;

class WebVttTest {
    @Test
    void oneCuePerSentenceTimedFromTheNarration() {
        List<WebVtt.Cue> cues = WebVtt.cues(List.of(new Narration.TimedText("Hello there.", 0, 1.25),
                new Narration.TimedText("Is 3 < 4 & 5 > 4? Yes --> true.", 1.25, 3.5)));
        String vtt = WebVtt.write(cues);
        assertThat(vtt).startsWith("WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.250\nHello there.\n\n2\n"
                + "00:00:01.250 --> 00:00:03.500\nIs 3 &lt; 4 &amp; 5 &gt; 4? Yes --&gt; true.\n");
        List<StrictVtt.Cue> strict = StrictVtt.parse(vtt);
        assertThat(strict).extracting(StrictVtt.Cue::text).containsExactly("Hello there.",
                "Is 3 < 4 & 5 > 4? Yes --> true.");
        assertThat(WebVtt.parse(vtt)).isEqualTo(cues);
    }

    @Test
    void aLongSentenceBecomesCuesOfTwoLinesTimedByLength() {
        String sentence = "The fundamental theorem of calculus connects differentiation and integration, showing that "
                + "each undoes the other for continuous functions on a closed interval.";
        List<WebVtt.Cue> cues = WebVtt.cues(List.of(new Narration.TimedText(sentence, 10, 20)));
        assertThat(cues).hasSizeGreaterThan(1);
        assertThat(cues.get(0).start()).isEqualTo(10);
        assertThat(cues.get(cues.size() - 1).end()).isEqualTo(20);
        for (int i = 0; i < cues.size(); i++) {
            String[] lines = cues.get(i).text().split("\n");
            assertThat(lines.length).isLessThanOrEqualTo(WebVtt.LINES_PER_CUE);
            for (String l : lines) {
                assertThat(l.length()).isLessThanOrEqualTo(WebVtt.LINE_CHARS);
            }
            if (i > 0) {
                assertThat(cues.get(i).start()).isEqualTo(cues.get(i - 1).end());
            }
            double share = (double) cues.get(i).text().replace("\n", "").length() / sentence.replace(" ", "").length();
            assertThat(cues.get(i).end() - cues.get(i).start()).isCloseTo(10 * share, within(1.0));
        }
        assertThat(String.join(" ", cues.stream().map(c -> c.text().replace('\n', ' ')).toList())).isEqualTo(sentence);
    }

    @Test
    void shiftedCuesKeepTheirText() {
        List<WebVtt.Cue> cues = List.of(new WebVtt.Cue(0, 1, "a"), new WebVtt.Cue(1, 2.5, "b"));
        assertThat(WebVtt.shift(cues, 3661.5)).containsExactly(new WebVtt.Cue(3661.5, 3662.5, "a"),
                new WebVtt.Cue(3662.5, 3664.0, "b"));
        assertThat(WebVtt.time(3662.0005)).isEqualTo("01:01:02.001");
    }

    @Test
    void aWordLongerThanALineIsCut() {
        assertThat(WebVtt.wrap("a " + "x".repeat(50) + " b", 42)).containsExactly("a", "x".repeat(42), "x".repeat(8)
                + " b");
    }
}
