package dev.lectern.lessons.render;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.lessons.plan.PlanValidator;
import dev.lectern.lessons.plan.PlannedScene;
import dev.lectern.lessons.plan.PlannedScene.Block;
import dev.lectern.lessons.plan.PlannedScene.Citation;
import java.awt.Font;
import java.awt.image.BufferedImage;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class SlideRendererTest {
    /** The most a valid plan may put on one slide: the longest title, six longest bullets, the largest block. */
    static PlannedScene fullest() {
        String bullet = ("Continuous functions on closed intervals attain their maximum and minimum values, and ")
                .repeat(2).substring(0, PlanValidator.MAX_BULLET_CHARS);
        String line = "total = sum(weights[i] * values[i] for i in range(len(values)))  # weighted sum".substring(0,
                PlanValidator.MAX_BLOCK_LINE_CHARS);
        return new PlannedScene("W".repeat(20) + " " + "A long title that explains the whole slide in detail ".repeat(3)
                .substring(0, PlanValidator.MAX_TITLE_CHARS - 21), "x", Collections.nCopies(PlanValidator.MAX_BULLETS,
                bullet), new Block(Block.Kind.CODE, String.join("\n", Collections.nCopies(PlanValidator.MAX_BLOCK_LINES,
                line)), "python"), "", List.of(new Citation("d", "lecture-notes-on-analysis.pdf", 3)));
    }

    @ParameterizedTest
    @CsvSource({"1280,720", "1920,1080"})
    void theFullestSlideStaysInsideItsMargins(int width, int height) {
        SlideRenderer r = new SlideRenderer(width, height);
        SlideRenderer.Layout layout = r.layout(SlideRenderer.Slide.of(fullest()));
        BufferedImage img = r.draw(layout, layout.bulletCount());
        float s = height / 720f;
        int background = SlideRenderer.BACKGROUND.getRGB();
        // the gap between the content and the footer, and the right margin, are untouched
        for (int y = Math.round(height - 74 * s); y < height - 58 * s; y++) {
            for (int x = 0; x < width; x++) {
                assertThat(img.getRGB(x, y)).as("(%d,%d)", x, y).isEqualTo(background);
            }
        }
        for (int y = Math.round(12 * s); y < height; y++) {
            for (int x = Math.round(width - 76 * s); x < width; x++) {
                assertThat(img.getRGB(x, y)).as("(%d,%d)", x, y).isEqualTo(background);
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"Émile’s «café» — naïve façade", "Ελληνικά: ∂f/∂x, ∑ᵢ xᵢ², √2 ≈ 1.414, ∮ E·dl = −dΦ/dt",
        "Русский текст", "עברית and العربية", "x ≤ y ⇒ f(x) ≤ f(y), ∀ε > 0 ∃δ"})
    void everyScriptFindsAFontWithItsGlyphs(String text) {
        for (Font f : List.of(SlideFonts.sans(Font.PLAIN, 30), SlideFonts.sans(Font.BOLD, 46), SlideFonts.mono(24))) {
            assertThat(SlideFonts.covering(f, text).canDisplayUpTo(text)).as(f.getFamily()).isEqualTo(-1);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"微积分的基本定理", "日本語のテキスト"})
    void cjkFindsAFontWhenOneIsInstalled(String text) {
        boolean any = false;
        for (String family : java.awt.GraphicsEnvironment.getLocalGraphicsEnvironment()
                .getAvailableFontFamilyNames()) {
            any |= new Font(family, Font.PLAIN, 12).canDisplayUpTo(text) == -1;
        }
        if (!any && "true".equalsIgnoreCase(System.getenv("CI"))) {
            throw new AssertionError("no CJK font installed (bin/test-deps installs fonts-droid-fallback)");
        }
        Assumptions.assumeTrue(any, "no CJK font installed (apt-get install fonts-droid-fallback or fonts-noto-cjk)");
        assertThat(SlideFonts.covering(SlideFonts.sans(Font.PLAIN, 30), text).canDisplayUpTo(text)).isEqualTo(-1);
    }

    @ParameterizedTest
    @ValueSource(ints = {0, 1, 2})
    void eachRevealAddsABulletAndMovesNothingElse(int shown) {
        SlideRenderer r = new SlideRenderer(1280, 720);
        SlideRenderer.Layout layout = r.layout(SlideRenderer.Slide.of(new PlannedScene("Title", "x",
                List.of("One", "Two", "Three"))));
        BufferedImage before = r.draw(layout, shown);
        BufferedImage after = r.draw(layout, shown + 1);
        int changedRows = 0;
        int firstChanged = -1;
        for (int y = 0; y < 720; y++) {
            for (int x = 0; x < 1280; x++) {
                if (before.getRGB(x, y) != after.getRGB(x, y)) {
                    changedRows++;
                    firstChanged = firstChanged < 0 ? y : firstChanged;
                    break;
                }
            }
        }
        assertThat(changedRows).isBetween(15, 60); // one line of text
        assertThat(firstChanged).isGreaterThan(150); // below the title and its rule
    }
}
