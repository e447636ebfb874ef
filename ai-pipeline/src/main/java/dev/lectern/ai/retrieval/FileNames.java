package dev.lectern.ai.retrieval;

import java.text.Normalizer;

/**
 * Makes an uploaded file's name safe to store and show: the last path segment only (no {@code ../}, no absolute or
 * Windows paths), Unicode NFC, no control or invisible formatting characters (bidi overrides, zero-width), no
 * characters that are special in common file systems, no leading dots, at most {@link #MAX_CHARS} characters with
 * the extension kept. The name is only ever a label: objects are stored under generated keys.
 */
public final class FileNames {
    public static final int MAX_CHARS = 200;

    private FileNames() {}

    public static String sanitize(String raw) {
        String s = raw == null ? "" : Normalizer.normalize(raw, Normalizer.Form.NFC);
        int cut = Math.max(s.lastIndexOf('/'), s.lastIndexOf('\\'));
        s = s.substring(cut + 1);
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> {
            int type = Character.getType(cp);
            if (type == Character.CONTROL || type == Character.FORMAT || type == Character.SURROGATE
                    || type == Character.PRIVATE_USE || type == Character.UNASSIGNED
                    || type == Character.LINE_SEPARATOR || type == Character.PARAGRAPH_SEPARATOR) {
                return;
            }
            if ("<>:\"|?*".indexOf(cp) >= 0) {
                out.append('_');
            } else if (Character.isWhitespace(cp)) {
                out.append(' ');
            } else {
                out.appendCodePoint(cp);
            }
        });
        String name = out.toString().replaceAll(" {2,}", " ").strip();
        while (name.startsWith(".")) {
            name = name.substring(1).strip();
        }
        if (name.codePointCount(0, name.length()) > MAX_CHARS) {
            int dot = name.lastIndexOf('.');
            String ext = dot > 0 && name.length() - dot <= 10 ? name.substring(dot) : "";
            String stem = ext.isEmpty() ? name : name.substring(0, dot);
            int keep = MAX_CHARS - ext.length();
            stem = stem.substring(0, stem.offsetByCodePoints(0, Math.min(keep, stem.codePointCount(0, stem.length()))));
            name = stem.strip() + ext;
        }
        return name.isEmpty() ? "file" : name;
    }
}
