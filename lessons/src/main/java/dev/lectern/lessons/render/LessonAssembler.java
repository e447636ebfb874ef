package dev.lectern.lessons.render;

import dev.lectern.lessons.plan.Cancellation;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Joins rendered scenes into one lesson by stream copy (ffmpeg's concat demuxer with {@code -c copy}: nothing is
 * re-encoded, which is valid because every scene was encoded with the same parameters), merges their captions
 * (each scene's cues shifted by where the scene starts: the sum of the durations the earlier MP4s declare, which is
 * what the concat demuxer advances by) and copies the first scene's poster. Work happens in a temporary directory
 * removed on every way out; the results replace the previous assembly atomically, file by file.
 */
public final class LessonAssembler {
    private static final String LIST = "scenes.ffconcat";

    private final Ffmpeg ffmpeg;

    public LessonAssembler(Ffmpeg ffmpeg) {
        this.ffmpeg = ffmpeg;
    }

    public RenderedLesson assemble(List<RenderedScene> scenes, Path dir, Cancellation cancel) {
        if (scenes.isEmpty()) {
            throw new IllegalArgumentException("a lesson needs at least one scene");
        }
        RenderException.throwIfCancelled(cancel);
        ffmpeg.executable();
        Path work = WorkDirs.beside(dir);
        try {
            StringBuilder list = new StringBuilder("ffconcat version 1.0\n");
            List<WebVtt.Cue> cues = new ArrayList<>();
            List<Double> starts = new ArrayList<>();
            double at = 0;
            for (RenderedScene s : scenes) {
                list.append("file ").append(quote(s.video().toAbsolutePath().toString())).append('\n');
                cues.addAll(WebVtt.shift(WebVtt.parse(Files.readString(s.captions(), StandardCharsets.UTF_8)), at));
                starts.add(at);
                at += s.durationSeconds();
            }
            Files.writeString(work.resolve(LIST), list.toString(), StandardCharsets.UTF_8);
            Files.writeString(work.resolve(RenderedLesson.CAPTIONS), WebVtt.write(cues), StandardCharsets.UTF_8);
            Files.copy(scenes.get(0).poster(), work.resolve(RenderedLesson.POSTER));
            ffmpeg.run(List.of("-f", "concat", "-safe", "0", "-i", LIST, "-map", "0", "-c", "copy",
                    "-map_metadata", "-1", "-fflags", "+bitexact", "-movflags", "+faststart", RenderedLesson.VIDEO),
                    work, "assemble.log", cancel);
            double duration = Mp4Duration.seconds(work.resolve(RenderedLesson.VIDEO));
            WorkDirs.publish(work, dir, List.of(RenderedLesson.CAPTIONS, RenderedLesson.POSTER, RenderedLesson.VIDEO));
            return new RenderedLesson(dir.resolve(RenderedLesson.VIDEO), dir.resolve(RenderedLesson.CAPTIONS),
                    dir.resolve(RenderedLesson.POSTER), duration, starts);
        } catch (IOException e) {
            throw new RenderException("render_io", "could not assemble the lesson: " + e.getMessage());
        } finally {
            WorkDirs.delete(work);
        }
    }

    /** A path as the concat demuxer reads it: in single quotes, each quote written {@code '\''}. */
    static String quote(String path) {
        if (path.indexOf('\n') >= 0 || path.indexOf('\r') >= 0) {
            throw new IllegalArgumentException("a scene path must not contain line breaks");
        }
        return "'" + path.replace("'", "'\\''") + "'";
    }
}
