package dev.lectern.ai.retrieval;

import java.util.ArrayList;
import java.util.List;

/**
 * Cuts page text into passages of about {@code size} characters, ending at a sentence or word boundary where one is
 * near, each starting {@code overlap} characters before the previous one ended, so a fact cut at a boundary is still
 * whole in one passage. Passages never span pages (each keeps its page number).
 */
public final class Passages {
    private Passages() {}

    public record Chunk(int page, String text) {}

    public static List<Chunk> split(List<PageText> pages, int size, int overlap) {
        List<Chunk> out = new ArrayList<>();
        for (PageText p : pages) {
            String text = p.text().replaceAll("\\s+", " ").strip(); // PDF line breaks are layout, not meaning
            int start = 0;
            while (start < text.length()) {
                int end = Math.min(text.length(), start + size);
                if (end < text.length()) {
                    end = boundary(text, start + size / 2, end);
                }
                String chunk = text.substring(start, end).strip();
                if (!chunk.isEmpty()) {
                    out.add(new Chunk(p.page(), chunk));
                }
                if (end >= text.length()) {
                    break;
                }
                int next = Math.max(end - overlap, start + 1);
                // start the next passage at a word
                while (next < end && !Character.isWhitespace(text.charAt(next - 1))) {
                    next++;
                }
                start = next;
            }
        }
        return out;
    }

    /** The last sentence end, else the last whitespace, in [min, max); max when there is none. */
    private static int boundary(String text, int min, int max) {
        for (int i = max - 1; i > min; i--) {
            char c = text.charAt(i - 1);
            if ((c == '.' || c == '!' || c == '?') && Character.isWhitespace(text.charAt(i))) {
                return i;
            }
        }
        for (int i = max - 1; i > min; i--) {
            if (Character.isWhitespace(text.charAt(i))) {
                return i;
            }
        }
        return max;
    }
}
