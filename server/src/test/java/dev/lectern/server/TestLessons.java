package dev.lectern.server;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** Lesson videos small enough for tests (320x180, 5 fps, ultrafast), and caller-written scenes to render. */
public final class TestLessons {
    private TestLessons() {}

    /** {@code env} with the small lesson settings added. */
    public static Map<String, String> small(Map<String, String> env) {
        Map<String, String> out = new HashMap<>(env);
        out.put("LECTERN_LESSONS__WIDTH", "320");
        out.put("LECTERN_LESSONS__HEIGHT", "180");
        out.put("LECTERN_LESSONS__FRAME_RATE", "5");
        out.put("LECTERN_LESSONS__X264_PRESET", "ultrafast");
        return out;
    }

    /** {@code n} short scenes: {title, narration, bullets}. */
    public static List<Map<String, Object>> scenes(int n) {
        List<Map<String, Object>> out = new ArrayList<>();
        for (int i = 1; i <= n; i++) {
            out.add(Map.of("title", "Part " + i, "narration", "This is part " + i + ".", "bullets",
                    List.of("Point " + i)));
        }
        return out;
    }
}
