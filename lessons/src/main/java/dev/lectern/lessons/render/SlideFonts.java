package dev.lectern.lessons.render;

import java.awt.Font;
import java.awt.GraphicsEnvironment;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The slide fonts: DejaVu Sans and DejaVu Sans Mono (Debian's {@code fonts-dejavu-core}: Latin, Greek, Cyrillic,
 * Arabic, Hebrew, mathematical symbols) when installed, else the JDK's logical fonts. A string the chosen font cannot
 * display whole (CJK, say) is drawn in the logical font of its kind when that can, else in the first installed font
 * family that can (Noto CJK, Droid Sans Fallback, …), so no glyph is drawn as a box while some font has it.
 */
final class SlideFonts {
    static final String SANS;
    static final String MONO;
    private static final List<String> FAMILIES;
    private static final Map<String, Optional<String>> COVERING = new ConcurrentHashMap<>();

    static {
        String[] names = GraphicsEnvironment.getLocalGraphicsEnvironment().getAvailableFontFamilyNames();
        Set<String> families = Set.of(names);
        SANS = families.contains("DejaVu Sans") ? "DejaVu Sans" : Font.SANS_SERIF;
        MONO = families.contains("DejaVu Sans Mono") ? "DejaVu Sans Mono" : Font.MONOSPACED;
        FAMILIES = List.of(names); // sorted by name
    }

    private SlideFonts() {}

    static Font sans(int style, float size) {
        return new Font(SANS, style, 1).deriveFont(size);
    }

    static Font mono(float size) {
        return new Font(MONO, Font.PLAIN, 1).deriveFont(size);
    }

    /** {@code font}, or a font of the same style and size that displays all of {@code text} (when one exists). */
    static Font covering(Font font, String text) {
        int missing = font.canDisplayUpTo(text);
        if (missing == -1) {
            return font;
        }
        boolean mono = font.getFamily().equals(MONO) || font.getFamily().equals(Font.MONOSPACED);
        Font logical = new Font(mono ? Font.MONOSPACED : Font.SANS_SERIF, font.getStyle(), 1)
                .deriveFont(font.getSize2D());
        if (logical.canDisplayUpTo(text) == -1) {
            return logical;
        }
        // a family that has the first missing character's script, looked up once per script
        String script = Character.UnicodeScript.of(text.codePointAt(missing)).name();
        Optional<String> family = COVERING.computeIfAbsent(script, k -> FAMILIES.stream()
                .filter(f -> new Font(f, Font.PLAIN, 12).canDisplayUpTo(text.substring(missing)) == -1)
                .findFirst());
        return family.map(f -> new Font(f, font.getStyle(), 1).deriveFont(font.getSize2D())).orElse(font);
    }
}
