package dev.lectern.ai.tts;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * Cuts a streamed answer into pieces for the voice (Pipecat's and LiveKit Agents' rules), deciding from the text
 * already received: a sentence end ({@code . ! ? ;} and CJK terminators, with any closing quotes) followed by
 * whitespace ends a piece at once, unless the word before it is an abbreviation ("e.g.", "Dr.", "U.S.") or an initial,
 * or the dot belongs to an ellipsis; a dot followed by anything but whitespace ("3.14", "example.com", "a@b.org")
 * ends nothing. CJK terminators ({@code 。！？；}) end a piece without whitespace. Text that ends right after a
 * possible sentence end ("…Dr.", "…3.", "…changes.") is {@link #pending()}: more text decides it, or the caller
 * releases it with {@link #flushPending()} after a quiet period ({@link QuietFlush}). Pieces shorter than
 * {@code minChars} are merged with the next; text without a sentence end is cut at a space by {@code maxChars}. The
 * first piece of an answer may end at a clause ({@code , :}) followed by whitespace once it is
 * {@code firstClauseMinChars} long, for a faster first sound. One instance per answer; not thread-safe.
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

    /** The text ends right after a possible sentence end that only more text (or a quiet period) can decide. */
    public boolean pending() {
        int last = buffer.length() - 1;
        while (last >= 0 && Character.isWhitespace(buffer.charAt(last))) {
            last--;
        }
        int run = last;
        while (run >= 0 && isCloser(buffer.charAt(run))) {
            run--;
        }
        if (run < 0 || !isTerminator(buffer.charAt(run))) {
            return false;
        }
        // a dot at the very end of a URL or e-mail address in progress waits for more text, not for a pause
        return last != buffer.length() - 1 || !isAddress(tokenBefore(run + 1));
    }

    /** A quiet period passed: releases the text when it ends at a possible sentence end ({@link #pending()}). */
    public List<String> flushPending() {
        return pending() ? flush() : List.of();
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
                scanFrom = i; // closing quotes or whitespace may follow
                break;
            }
            boolean cjk = isCjkTerminator(buffer.charAt(end - 1)) || isCjkCloserAfterTerminator(i, end);
            if (!cjk && !Character.isWhitespace(buffer.charAt(end))) {
                i = end; // "3.14", "e.g.x", "word,word", "example.com"
                continue;
            }
            boolean boundary = terminator ? cjk || isSentenceEnd(i, end) : trimmedLength(end) >= firstClauseMinChars;
            if (boundary && (!terminator || trimmedLength(end) >= minChars)) {
                emit(out, end, end);
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

    /** The run of terminators and closers {@code [at, end)} is followed by whitespace: does it end a sentence? */
    private boolean isSentenceEnd(int at, int end) {
        for (int k = at; k < end; k++) {
            char t = buffer.charAt(k);
            if (t == '…' || (t == '.' && k + 1 < end && buffer.charAt(k + 1) == '.')) {
                return false; // "Wait... and then", "Hmm… "
            }
        }
        if (buffer.charAt(at) != '.') {
            return true;
        }
        if (isAddress(tokenBefore(at))) {
            return true; // "see https://example.org/a. Next", "write to bob@example.org. Then"
        }
        int start = at;
        while (start > 0 && (Character.isLetter(buffer.charAt(start - 1)) || buffer.charAt(start - 1) == '.')) {
            start--;
        }
        String word = buffer.substring(start, at).toLowerCase(Locale.ROOT);
        if (word.isEmpty()) {
            return true; // "$29. Next", "3. Then"
        }
        if (ABBREVIATIONS.contains(word) || isDottedAbbreviation(word)) {
            return false; // "Dr. Smith", "e.g. Paris", "U.S. Army", "Ph.D. student"
        }
        return !(word.length() == 1 && Character.isUpperCase(buffer.charAt(start))); // "J. Smith"
    }

    /** "e.g", "u.s", "ph.d", "a.m" (short parts) but not "example.com". */
    private static boolean isDottedAbbreviation(String word) {
        if (word.indexOf('.') < 0) {
            return false;
        }
        for (String part : word.split("\\.")) {
            if (part.length() > 2) {
                return false;
            }
        }
        return true;
    }

    /** The whitespace-delimited text that ends at {@code end} (exclusive). */
    private String tokenBefore(int end) {
        int start = end;
        while (start > 0 && !Character.isWhitespace(buffer.charAt(start - 1))) {
            start--;
        }
        return buffer.substring(start, end);
    }

    private static boolean isAddress(String token) {
        return token.contains("://") || token.startsWith("www.") || token.indexOf('@') > 0;
    }

    /** "「你好。」": a CJK terminator followed by closers. */
    private boolean isCjkCloserAfterTerminator(int at, int end) {
        for (int k = at; k < end; k++) {
            if (isCjkTerminator(buffer.charAt(k))) {
                return true;
            }
        }
        return false;
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
