package dev.lectern.lessons.testing;

import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A strict WebVTT reader for the tests, written apart from the production writer: the {@code WEBVTT} signature, a
 * blank line, then cue blocks (optional identifier, {@code hh:mm:ss.ttt --> hh:mm:ss.ttt}, one or more text lines)
 * separated by blank lines. It refuses malformed timestamps, minutes or seconds over 59, a start not before its end,
 * cues out of order or overlapping, empty cues, {@code -->} or a bare {@code <} or {@code &} in the text, and a
 * missing final newline.
 */
public final class StrictVtt {
    private static final Pattern TIMING = Pattern.compile(
            "^(\\d{2,}):([0-5]\\d):([0-5]\\d)\\.(\\d{3}) --> (\\d{2,}):([0-5]\\d):([0-5]\\d)\\.(\\d{3})$");
    private static final Pattern ENTITY = Pattern.compile("&(amp|lt|gt);");

    private StrictVtt() {}

    public record Cue(double start, double end, String text) {}

    public static List<Cue> parse(String vtt) {
        if (!vtt.endsWith("\n")) {
            throw new IllegalArgumentException("no final newline");
        }
        String[] lines = vtt.substring(0, vtt.length() - 1).split("\n", -1);
        if (!lines[0].equals("WEBVTT") && !lines[0].startsWith("WEBVTT ") && !lines[0].startsWith("WEBVTT\t")) {
            throw new IllegalArgumentException("line 1: no WEBVTT signature");
        }
        if (lines.length > 1 && !lines[1].isEmpty()) {
            throw new IllegalArgumentException("line 2: the header must be followed by a blank line");
        }
        List<Cue> cues = new ArrayList<>();
        int i = 2;
        while (i < lines.length) {
            if (lines[i].isEmpty()) {
                i++;
                continue;
            }
            int blockStart = i;
            if (!lines[i].contains("-->")) {
                i++; // identifier
            }
            if (i >= lines.length) {
                throw new IllegalArgumentException("line " + (blockStart + 1) + ": a block without timing");
            }
            Matcher m = TIMING.matcher(lines[i]);
            if (!m.matches()) {
                throw new IllegalArgumentException("line " + (i + 1) + ": bad timing line: " + lines[i]);
            }
            double start = seconds(m, 1);
            double end = seconds(m, 5);
            if (!(start < end)) {
                throw new IllegalArgumentException("line " + (i + 1) + ": start not before end");
            }
            if (!cues.isEmpty() && start < cues.get(cues.size() - 1).end() - 1e-9) {
                throw new IllegalArgumentException("line " + (i + 1) + ": cue overlaps or precedes the previous one");
            }
            i++;
            StringBuilder text = new StringBuilder();
            for (; i < lines.length && !lines[i].isEmpty(); i++) {
                String t = lines[i];
                if (t.contains("-->") || t.contains("<")
                        || ENTITY.matcher(t).replaceAll("").contains("&")) {
                    throw new IllegalArgumentException("line " + (i + 1) + ": unescaped text: " + t);
                }
                if (text.length() > 0) {
                    text.append('\n');
                }
                text.append(t.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&"));
            }
            if (text.length() == 0) {
                throw new IllegalArgumentException("line " + (i + 1) + ": a cue without text");
            }
            cues.add(new Cue(start, end, text.toString()));
        }
        return cues;
    }

    private static double seconds(Matcher m, int g) {
        return Long.parseLong(m.group(g)) * 3600 + Integer.parseInt(m.group(g + 1)) * 60
                + Integer.parseInt(m.group(g + 2)) + Integer.parseInt(m.group(g + 3)) / 1000.0;
    }
}
