package dev.lectern.ai.tts;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Cuts a streamed answer into pieces for the voice (Pipecat's lookahead and LiveKit Agents' rules). A piece is
 * released at a sentence end ({@code . ! ? ; …} and CJK terminators, with any closing quotes) only once the next
 * non-space character has arrived, never after an abbreviation ("e.g.", "Dr.", "U.S."), an initial, or before a
 * lower-case continuation, and never inside a number ("3.14"). Pieces shorter than {@code minChars} are merged with
 * the next; text without a sentence end is cut at a space by {@code maxChars}. The first piece of an answer may end
 * at a clause ({@code , :}) once it is {@code firstClauseMinChars} long, for a faster first sound. One instance per
 * answer; not thread-safe.
 */
public final class SentenceChunker {
    private static final Set<String> ABBREVIATIONS = Set.of("mr", "mrs", "ms", "dr", "st", "prof", "sr", "jr", "inc",
            "ltd", "co", "corp", "vs", "etc", "fig", "no", "approx", "cf", "al", "mt", "dept", "est", "vol", "ch",
            "sec", "eq", "p", "pp", "ca", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov",
            "dec");

    private final int minChars;
    private final int maxChars;
    private final int firstClauseMinChars;
    private final StringBuilder buffer = new StringBuilder();
    private int scanFrom;
    private boolean released;

    public SentenceChunker(int minChars, int maxChars, int firstClauseMinChars) {
        if (minChars < 1 || maxChars < minChars || firstClauseMinChars < 0) {
            throw new IllegalArgumentException("need 1 <= minChars <= maxChars and firstClauseMinChars >= 0");
        }
        this.minChars = minChars;
        this.maxChars = maxChars;
        this.firstClauseMinChars = firstClauseMinChars;
    }

    /** Adds streamed text; returns the pieces it completes (often none). */
    public List<String> feed(String text) {
        List<String> out = new ArrayList<>(1);
        buffer.append(text);
        scan(out);
        return out;
    }

    /** The answer ended: whatever is left, as one last piece (or none when it is blank). */
    public List<String> flush() {
        List<String> out = new ArrayList<>(1);
        while (buffer.length() > maxChars) {
            cutAtMax(out);
        }
        emit(out, buffer.length(), buffer.length());
        scanFrom = 0;
        return out;
    }

    /** Drops buffered text (barge-in). */
    public void reset() {
        buffer.setLength(0);
        scanFrom = 0;
    }

    private void scan(List<String> out) {
        int i = scanFrom;
        while (i < buffer.length()) {
            char c = buffer.charAt(i);
            boolean terminator = isTerminator(c);
            boolean clause = !released && firstClauseMinChars > 0 && (c == ',' || c == ':' || c == '—');
            if (!terminator && !clause) {
                i++;
                continue;
            }
            int end = i + 1;
            while (end < buffer.length() && (isTerminator(buffer.charAt(end)) || isCloser(buffer.charAt(end)))) {
                end++;
            }
            if (end == buffer.length()) {
                scanFrom = i; // need to see what follows
                break;
            }
            boolean cjk = isCjkTerminator(buffer.charAt(end - 1));
            if (!cjk && !Character.isWhitespace(buffer.charAt(end))) {
                i = end; // "3.14", "e.g.x", "word,word"
                continue;
            }
            int next = end;
            while (next < buffer.length() && Character.isWhitespace(buffer.charAt(next))) {
                next++;
            }
            if (next == buffer.length()) {
                scanFrom = i;
                break;
            }
            boolean boundary = terminator ? isSentenceEnd(i, buffer.charAt(next))
                    : trimmedLength(end) >= firstClauseMinChars;
            if (boundary && (trimmedLength(end) >= minChars || (!terminator))) {
                emit(out, end, next);
                i = 0;
                continue;
            }
            i = end;
        }
        if (i >= buffer.length()) {
            scanFrom = buffer.length();
        }
        while (buffer.length() > maxChars) {
            cutAtMax(out);
        }
    }

    private boolean isSentenceEnd(int at, char following) {
        char c = buffer.charAt(at);
        if (c != '.') {
            return true;
        }
        if (Character.isLowerCase(following)) {
            return false; // "e.g. the", "approx. five", "... and then"
        }
        int start = at;
        while (start > 0 && (Character.isLetter(buffer.charAt(start - 1)) || buffer.charAt(start - 1) == '.')) {
            start--;
        }
        String word = buffer.substring(start, at).toLowerCase(Locale.ROOT);
        if (word.isEmpty()) {
            return true; // "$29. Next", "3. Then"
        }
        if (ABBREVIATIONS.contains(word) || word.contains(".")) {
            return false; // "Dr. Smith", "e.g. Paris", "U.S. Army"
        }
        return !(word.length() == 1 && Character.isUpperCase(buffer.charAt(start))); // "J. Smith"
    }

    private void cutAtMax(List<String> out) {
        int cut = -1;
        for (int k = maxChars; k > 0; k--) {
            if (Character.isWhitespace(buffer.charAt(k))) {
                cut = k;
                break;
            }
        }
        if (cut <= 0) {
            cut = maxChars;
            if (Character.isHighSurrogate(buffer.charAt(cut - 1))) {
                cut--;
            }
        }
        emit(out, cut, cut);
    }

    private void emit(List<String> out, int end, int consumed) {
        String piece = buffer.substring(0, end).strip();
        buffer.delete(0, consumed);
        scanFrom = 0;
        if (!piece.isEmpty()) {
            out.add(piece);
            released = true;
        }
    }

    private int trimmedLength(int end) {
        return buffer.substring(0, end).strip().length();
    }

    private static boolean isTerminator(char c) {
        return c == '.' || c == '!' || c == '?' || c == ';' || c == '…' || isCjkTerminator(c);
    }

    private static boolean isCjkTerminator(char c) {
        return c == '。' || c == '！' || c == '？' || c == '；';
    }

    private static boolean isCloser(char c) {
        return c == '"' || c == '\'' || c == ')' || c == ']' || c == '”' || c == '’' || c == '»' || c == '」';
    }
}
