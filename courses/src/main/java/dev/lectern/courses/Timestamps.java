package dev.lectern.courses;

/** Times in a recording as people and WebVTT write them. */
public final class Timestamps {
    private Timestamps() {}

    /** {@code m:ss}, or {@code h:mm:ss} from an hour on. */
    public static String clock(long ms) {
        long s = ms / 1000;
        long h = s / 3600;
        long m = (s % 3600) / 60;
        long sec = s % 60;
        return h > 0 ? String.format("%d:%02d:%02d", h, m, sec) : String.format("%d:%02d", m, sec);
    }

    /** WebVTT's {@code hh:mm:ss.ttt}. */
    public static String vtt(long ms) {
        long h = ms / 3_600_000;
        long m = (ms / 60_000) % 60;
        long s = (ms / 1000) % 60;
        return String.format("%02d:%02d:%02d.%03d", h, m, s, ms % 1000);
    }
}
