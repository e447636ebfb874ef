package dev.lectern.lessons.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.util.List;
import org.junit.jupiter.api.Test;

class RevealTimesTest {
    private static Narration.TimedText t(String text, double start, double end) {
        return new Narration.TimedText(text, start, end);
    }

    @Test
    void withEnoughSentencesEachBulletAppearsAsItsShareOfSentencesStarts() {
        List<Narration.TimedText> s = List.of(t("One.", 0, 1), t("Two.", 1, 2.5), t("Three.", 2.5, 3),
                t("Four.", 3, 5));
        assertThat(RevealTimes.of(2, s)).containsExactly(0, 2.5);
        assertThat(RevealTimes.of(4, s)).containsExactly(0, 1, 2.5, 3);
        assertThat(RevealTimes.of(3, s)).containsExactly(0, 1, 2.5);
    }

    @Test
    void withFewerSentencesTheNarrationIsSharedByCharacters() {
        // 20 characters over 4 seconds; the third of 3 bullets starts at character 13.33 of 20
        double[] t = RevealTimes.of(3, List.of(t("aaaaaaaaaa", 0, 2), t("bbbbbbbbbb", 2, 4)));
        assertThat(t[0]).isZero();
        assertThat(t[1]).isCloseTo(2 * 6.6667 / 10, within(1e-3));
        assertThat(t[2]).isCloseTo(2 + 2 * 3.3333 / 10, within(1e-3));
    }

    @Test
    void noBulletsOrOneBulletShowFromTheStart() {
        assertThat(RevealTimes.of(0, List.of(t("a.", 0, 1)))).containsExactly(0);
        assertThat(RevealTimes.of(1, List.of(t("a.", 0, 1)))).containsExactly(0);
    }
}
