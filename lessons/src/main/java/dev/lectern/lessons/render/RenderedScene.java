package dev.lectern.lessons.render;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * A rendered scene: its MP4 (H.264 + AAC, faststart), its captions, its poster (the slide fully revealed) and its
 * duration as the MP4 declares it. The files sit in one directory under fixed names.
 */
public record RenderedScene(Path video, Path captions, Path poster, double durationSeconds) {
    public static final String VIDEO = "scene.mp4";
    public static final String CAPTIONS = "scene.vtt";
    public static final String POSTER = "poster.png";
    public static final String NARRATION = "narration.wav";

    /** The scene rendered earlier into {@code dir} (for re-assembly after another scene changed). */
    public static RenderedScene in(Path dir) {
        Path video = dir.resolve(VIDEO);
        Path captions = dir.resolve(CAPTIONS);
        Path poster = dir.resolve(POSTER);
        if (!Files.isRegularFile(video) || !Files.isRegularFile(captions) || !Files.isRegularFile(poster)) {
            throw new RenderException("scene_not_rendered", "the scene has not been rendered yet");
        }
        try {
            return new RenderedScene(video, captions, poster, Mp4Duration.seconds(video));
        } catch (IOException e) {
            throw new RenderException("render_io", "the scene's video cannot be read: " + e.getMessage());
        }
    }
}
