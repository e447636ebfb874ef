package dev.lectern.lessons.render;

import java.nio.file.Path;
import java.util.List;

/**
 * An assembled lesson: the joined MP4, the merged captions, the poster (the first slide), its duration as the MP4
 * declares it, and where each scene starts in it (seconds).
 */
public record RenderedLesson(Path video, Path captions, Path poster, double durationSeconds,
                             List<Double> sceneStartSeconds) {
    public static final String VIDEO = "lesson.mp4";
    public static final String CAPTIONS = "lesson.vtt";
    public static final String POSTER = "poster.png";

    public RenderedLesson {
        sceneStartSeconds = List.copyOf(sceneStartSeconds);
    }
}
