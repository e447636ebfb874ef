package dev.lectern.lessons.render;

import dev.lectern.core.config.LessonsConfig;
import dev.lectern.core.json.Json;
import dev.lectern.lessons.plan.Cancellation;
import dev.lectern.lessons.plan.PlannedScene;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;

/**
 * Renders one scene into a directory: narration (through the {@link Narrator}), the slide frames (one image per
 * bullet revealed, drawn once each), captions, a poster, and the MP4 encoded by ffmpeg. Slides are encoded as
 * stills: the concat demuxer reads each image once with its duration, the {@code fps} filter repeats it, and x264
 * runs with {@code -tune stillimage}; no image is decoded once per frame. Every scene is encoded with the same codec
 * parameters (frame size and rate, profile, preset, AAC 48 kHz mono) so that a lesson joins them by stream copy.
 *
 * <p>Work happens in a temporary directory beside the target, removed on every way out; the finished files are
 * moved into the target only when all are there. At most {@code lessons.maxParallelRenders} encodes run at once per
 * renderer. Blocking: call it from a worker thread.
 */
public final class SceneRenderer {
    /** Part of every content hash: bump it when the look or the encoding changes, so old renders are not reused. */
    static final String RENDER_VERSION = "1";
    private static final String FRAMES = "frames.ffconcat";

    private final LessonsConfig config;
    private final Ffmpeg ffmpeg;
    private final Narrator narrator;
    private final SlideRenderer slides;
    private final Semaphore encodes;

    public SceneRenderer(LessonsConfig config, Ffmpeg ffmpeg, Narrator narrator) {
        this.config = config;
        this.ffmpeg = ffmpeg;
        this.narrator = narrator;
        this.slides = new SlideRenderer(config.width(), config.height());
        this.encodes = new Semaphore(config.maxParallelRenders(), true);
    }

    /** Told as a scene's render enters each stage: {@code narration}, {@code frames}, {@code encoding}. */
    @FunctionalInterface
    public interface Stages {
        Stages NONE = stage -> { };

        void entered(String stage);
    }

    /** Narrates the scene in {@code voice} (blank = the configured one) and renders it into {@code dir}. */
    public RenderedScene render(PlannedScene scene, String voice, Path dir, Cancellation cancel) {
        return render(scene, voice, dir, cancel, Stages.NONE);
    }

    /** {@link #render(PlannedScene, String, Path, Cancellation)}, telling {@code stages} as each stage begins. */
    public RenderedScene render(PlannedScene scene, String voice, Path dir, Cancellation cancel, Stages stages) {
        Path work = WorkDirs.beside(dir);
        try {
            stages.entered("narration");
            Narration narration = narrator.narrate(scene.narration(), voice, work.resolve(RenderedScene.NARRATION),
                    cancel);
            encodeInto(work, scene, narration, cancel, stages);
            return publish(work, dir, true);
        } finally {
            WorkDirs.delete(work);
        }
    }

    /** Renders the scene over a narration that already exists (an edit of the slide only, or a benchmark). */
    public RenderedScene encode(PlannedScene scene, Narration narration, Path dir, Cancellation cancel) {
        Path work = WorkDirs.beside(dir);
        try {
            encodeInto(work, scene, narration, cancel, Stages.NONE);
            return publish(work, dir, false);
        } finally {
            WorkDirs.delete(work);
        }
    }

    /**
     * A stable key for the scene as rendered: its content, the voice, and every setting that changes the output.
     * Equal hashes mean an earlier render can be reused.
     */
    public String contentHash(PlannedScene scene, String voice) {
        List<Object> key = List.of(RENDER_VERSION, config.width(), config.height(), config.frameRate(),
                config.x264Preset(), config.crf(), config.audioBitrateKbps(), voice == null ? "" : voice.strip(),
                scene.title(), scene.narration(), scene.bullets(),
                scene.block() == null ? List.of() : List.of(scene.block().kind().name(), scene.block().text(),
                        scene.block().language()),
                scene.citations().stream().map(PlannedScene.Citation::label).toList());
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(Json.writeBytes(key)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    private void encodeInto(Path work, PlannedScene scene, Narration narration, Cancellation cancel, Stages stages) {
        RenderException.throwIfCancelled(cancel);
        ffmpeg.executable(); // fail with ffmpeg_not_found before drawing anything
        stages.entered("frames");
        SlideRenderer.Slide slide = SlideRenderer.Slide.of(scene);
        SlideRenderer.Layout layout = slides.layout(slide);
        int bullets = layout.bulletCount();
        double[] reveal = RevealTimes.of(bullets, narration.sentences());
        double total = narration.durationSeconds();
        StringBuilder list = new StringBuilder("ffconcat version 1.0\n");
        String last = null;
        try {
            for (int k = 0; k < reveal.length; k++) {
                double end = k + 1 < reveal.length ? Math.min(total, reveal[k + 1]) : total;
                double start = Math.min(total, reveal[k]);
                if (end - start <= 0 && k + 1 < reveal.length) {
                    continue; // the next bullet comes at the same instant: this frame would never show
                }
                last = "f" + k + ".bmp";
                write(slides.draw(layout, bullets == 0 ? 0 : k + 1), "bmp", work.resolve(last));
                list.append("file ").append(last).append('\n')
                        .append(String.format(Locale.ROOT, "duration %.6f%n", Math.max(end - start, 0.001)));
            }
            list.append("file ").append(last).append('\n'); // the concat demuxer honours the last duration only so
            Files.writeString(work.resolve(FRAMES), list.toString(), StandardCharsets.UTF_8);
            write(slides.draw(layout, bullets), "png", work.resolve(RenderedScene.POSTER));
            Files.writeString(work.resolve(RenderedScene.CAPTIONS), WebVtt.write(WebVtt.cues(narration.sentences())),
                    StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new RenderException("render_io", "could not write the scene's frames: " + e.getMessage());
        }
        RenderException.throwIfCancelled(cancel);
        acquire(cancel);
        try {
            stages.entered("encoding");
            ffmpeg.run(encodeArgs(narration.audio().toAbsolutePath(), total), work, "encode.log", cancel);
        } finally {
            encodes.release();
        }
    }

    /** The one encoding every scene shares: what makes the lesson's stream-copy join valid. */
    private List<String> encodeArgs(Path narration, double seconds) {
        int fps = config.frameRate();
        List<String> a = new ArrayList<>(List.of(
                "-f", "concat", "-i", FRAMES,
                "-i", "file:" + narration,
                "-map", "0:v:0", "-map", "1:a:0",
                "-vf", "fps=" + fps + ",format=yuv420p,setsar=1",
                "-c:v", "libx264", "-preset", config.x264Preset(), "-tune", "stillimage", "-crf",
                Integer.toString(config.crf()), "-profile:v", "high", "-g", Integer.toString(fps * 4),
                "-c:a", "aac", "-b:a", config.audioBitrateKbps() + "k", "-ar", "48000", "-ac", "1",
                "-t", String.format(Locale.ROOT, "%.6f", seconds),
                "-map_metadata", "-1", "-fflags", "+bitexact", "-flags:v", "+bitexact", "-flags:a", "+bitexact",
                "-movflags", "+faststart",
                RenderedScene.VIDEO));
        return a;
    }

    private void acquire(Cancellation cancel) {
        try {
            while (!encodes.tryAcquire(100, TimeUnit.MILLISECONDS)) {
                RenderException.throwIfCancelled(cancel);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RenderException.cancelled();
        }
    }

    private static void write(BufferedImage image, String format, Path file) throws IOException {
        if (!ImageIO.write(image, format, file.toFile())) {
            throw new IOException("no " + format + " image writer");
        }
    }

    /** Moves the finished files into {@code dir} (each atomically, replacing an older render). */
    private static RenderedScene publish(Path work, Path dir, boolean withNarration) {
        try {
            List<String> names = new ArrayList<>(List.of(RenderedScene.CAPTIONS, RenderedScene.POSTER,
                    RenderedScene.VIDEO));
            if (withNarration) {
                names.add(0, RenderedScene.NARRATION);
            }
            double duration = Mp4Duration.seconds(work.resolve(RenderedScene.VIDEO));
            WorkDirs.publish(work, dir, names);
            return new RenderedScene(dir.resolve(RenderedScene.VIDEO), dir.resolve(RenderedScene.CAPTIONS),
                    dir.resolve(RenderedScene.POSTER), duration);
        } catch (IOException e) {
            throw new RenderException("render_io", "could not store the rendered scene: " + e.getMessage());
        }
    }
}
