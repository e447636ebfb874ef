package dev.lectern.lessons.render;

import java.util.List;

/**
 * When each bullet appears: bullet {@code i} of {@code n} when its share of the narration starts. With at least as
 * many sentences as bullets the narration is shared out by whole sentences (bullet {@code i} appears as sentence
 * {@code floor(i·S/n)} begins); with fewer sentences, by characters, timed within the sentence that holds the share's
 * first character. The first bullet is there from the start.
 */
final class RevealTimes {
    private RevealTimes() {}

    static double[] of(int bullets, List<Narration.TimedText> sentences) {
        double[] t = new double[Math.max(1, bullets)];
        int n = sentences.size();
        if (bullets <= 1 || n == 0) {
            return t;
        }
        if (n >= bullets) {
            for (int i = 1; i < bullets; i++) {
                t[i] = sentences.get((int) ((long) i * n / bullets)).startSeconds();
            }
            return t;
        }
        long total = 0;
        for (Narration.TimedText s : sentences) {
            total += s.text().length();
        }
        for (int i = 1; i < bullets; i++) {
            double target = (double) i * total / bullets;
            double before = 0;
            for (Narration.TimedText s : sentences) {
                int len = s.text().length();
                if (target < before + len || s == sentences.get(n - 1)) {
                    double share = len == 0 ? 0 : Math.min(1, (target - before) / len);
                    t[i] = s.startSeconds() + share * (s.endSeconds() - s.startSeconds());
                    break;
                }
                before += len;
            }
        }
        return t;
    }
}
