package dev.lectern.lessons.render;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Captions in WebVTT: cues made from the narration's timed sentences (a long sentence becomes several cues of at most
 * two lines, timed in proportion to their length), written with the text escaped, read back for assembly, and shifted
 * by a scene's start in the lesson.
 */
public final class WebVtt {
    static final int LINE_CHARS = 42;
    static final int LINES_PER_CUE = 2;
    private static final Pattern TIMING = Pattern.compile(
            "(\\d{2,}):(\\d{2}):(\\d{2})\\.(\\d{3}) --> (\\d{2,}):(\\d{2}):(\\d{2})\\.(\\d{3})");

    private WebVtt() {}

    /** One cue: shown from {@code start} to {@code end} seconds; {@code text} may hold line breaks. */
    public record Cue(double start, double end, String text) {}

    /** The cues of a scene from its narration's sentence times. */
    public static List<Cue> cues(List<Narration.TimedText> sentences) {
        List<Cue> out = new ArrayList<>();
        for (Narration.TimedText s : sentences) {
            List<String> lines = wrap(s.text(), LINE_CHARS);
            int total = lines.stream().mapToInt(String::length).sum();
            double t = s.startSeconds();
            int done = 0;
            for (int i = 0; i < lines.size(); i += LINES_PER_CUE) {
                List<String> group = lines.subList(i, Math.min(lines.size(), i + LINES_PER_CUE));
                done += group.stream().mapToInt(String::length).sum();
                double end = i + LINES_PER_CUE >= lines.size() ? s.endSeconds()
                        : s.startSeconds() + (s.endSeconds() - s.startSeconds()) * done / total;
                out.add(new Cue(t, end, String.join("\n", group)));
                t = end;
            }
        }
        return out;
    }

    /** Word-wraps {@code text} into lines of at most {@code width} characters (a longer word is cut). */
    static List<String> wrap(String text, int width) {
        List<String> lines = new ArrayList<>();
        StringBuilder line = new StringBuilder();
        for (String word : text.strip().split("\\s+")) {
            while (word.length() > width) {
                if (line.length() > 0) {
                    lines.add(line.toString());
                    line.setLength(0);
                }
                int cut = Character.isHighSurrogate(word.charAt(width - 1)) ? width - 1 : width;
                lines.add(word.substring(0, cut));
                word = word.substring(cut);
            }
            if (word.isEmpty()) {
                continue;
            }
            if (line.length() > 0 && line.length() + 1 + word.length() > width) {
                lines.add(line.toString());
                line.setLength(0);
            }
            if (line.length() > 0) {
                line.append(' ');
            }
            line.append(word);
        }
        if (line.length() > 0) {
            lines.add(line.toString());
        }
        return lines;
    }

    public static List<Cue> shift(List<Cue> cues, double seconds) {
        return cues.stream().map(c -> new Cue(c.start() + seconds, c.end() + seconds, c.text())).toList();
    }

    public static String write(List<Cue> cues) {
        StringBuilder b = new StringBuilder("WEBVTT\n");
        int n = 1;
        for (Cue c : cues) {
            b.append('\n').append(n++).append('\n').append(time(c.start())).append(" --> ").append(time(c.end()))
                    .append('\n').append(escape(c.text())).append('\n');
        }
        return b.toString();
    }

    /** Reads cues as {@link #write} writes them (identifiers, settings and notes are skipped). */
    public static List<Cue> parse(String vtt) {
        String[] lines = vtt.replace("\r\n", "\n").split("\n", -1);
        if (lines.length == 0 || !lines[0].startsWith("WEBVTT")) {
            throw new IllegalArgumentException("not a WebVTT file");
        }
        List<Cue> out = new ArrayList<>();
        for (int i = 1; i < lines.length; i++) {
            Matcher m = TIMING.matcher(lines[i]);
            if (!m.lookingAt()) {
                continue;
            }
            StringBuilder text = new StringBuilder();
            int j = i + 1;
            for (; j < lines.length && !lines[j].isEmpty(); j++) {
                if (text.length() > 0) {
                    text.append('\n');
                }
                text.append(lines[j]);
            }
            out.add(new Cue(seconds(m, 1), seconds(m, 5), unescape(text.toString())));
            i = j;
        }
        return out;
    }

    private static double seconds(Matcher m, int group) {
        return Long.parseLong(m.group(group)) * 3600 + Integer.parseInt(m.group(group + 1)) * 60
                + Integer.parseInt(m.group(group + 2)) + Integer.parseInt(m.group(group + 3)) / 1000.0;
    }

    static String time(double seconds) {
        long ms = Math.round(Math.max(0, seconds) * 1000);
        return String.format(Locale.ROOT, "%02d:%02d:%02d.%03d", ms / 3_600_000, ms / 60_000 % 60, ms / 1000 % 60,
                ms % 1000);
    }

    private static String escape(String s) {
        return s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;");
    }

    private static String unescape(String s) {
        return s.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&");
    }
}
