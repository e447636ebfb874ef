package dev.lectern.lessons.render;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.tts.EspeakTts;
import dev.lectern.core.config.LessonsConfig;
import dev.lectern.lessons.plan.Cancellation;
import dev.lectern.lessons.plan.LessonPlan;
import dev.lectern.lessons.plan.PlannedScene;
import dev.lectern.lessons.plan.PlannedScene.Block;
import dev.lectern.lessons.plan.PlannedScene.Citation;
import dev.lectern.lessons.testing.MediaTools;
import dev.lectern.lessons.testing.StrictVtt;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * A three-scene lesson rendered for real (espeak-ng narration, Java2D slides, ffmpeg), checked with ffprobe and a
 * strict WebVTT reader; then scene 2 edited, re-rendered alone and the lesson re-assembled.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class LessonRenderIntegrationTest {
    private Path dir;

    private ExecutorService tts;
    private ExecutorService workers;
    private LessonsConfig config;
    private SceneRenderer scenes;
    private LessonRenderer renderer;
    private LessonPlan plan;
    private RenderedLesson lesson;
    private final List<Integer> previewed = new CopyOnWriteArrayList<>();

    static LessonPlan plan() {
        return new LessonPlan("Calculus in three slides", List.of(
                new PlannedScene("What calculus studies", "Calculus is the mathematics of change. It has two halves. "
                        + "Derivatives measure how fast a quantity changes. Integrals add up small pieces into a whole.",
                        List.of("The mathematics of change", "Derivatives: rates", "Integrals: accumulation")),
                new PlannedScene("The derivative", "The derivative of x squared is two x. At x equal to three, the "
                        + "slope of the curve is six.", List.of("Slope of the tangent line"),
                        new Block(Block.Kind.FORMULA, "d/dx x² = 2x\nf′(3) = 6", ""), "a parabola with a tangent",
                        List.of()),
                new PlannedScene("Integrals in code — Σ and ∫", "In code, an integral is a sum of thin slices. "
                        + "Here each slice is f of x times d x. Smaller slices give a better answer.",
                        List.of("Riemann sum ≈ ∫ f(x) dx", "Δx → 0 improves it"),
                        new Block(Block.Kind.CODE, "def integrate(f, a, b, n=1000):\n    dx = (b - a) / n\n"
                                + "    return sum(f(a + i * dx) * dx for i in range(n))", "python"),
                        "", List.of(new Citation("doc-1", "calculus-notes.pdf", 12)))));
    }

    @BeforeAll
    void render() throws Exception {
        MediaTools.require();
        dir = Files.createTempDirectory("lesson-render-test");
        tts = Executors.newFixedThreadPool(4);
        workers = Executors.newFixedThreadPool(3);
        config = MediaTools.config(Map.of());
        Ffmpeg ffmpeg = new Ffmpeg(config.ffmpegPath(), config.encodeTimeoutMillis());
        Narrator narrator = new Narrator(new EspeakTts("espeak-ng", "", tts, 30_000), ffmpeg,
                config.narrationTimeoutMillis());
        scenes = new SceneRenderer(config, ffmpeg, narrator);
        renderer = new LessonRenderer(scenes, new LessonAssembler(ffmpeg), workers);
        plan = plan();
        lesson = renderer.render(plan, "", dir, (i, s) -> previewed.add(i), Cancellation.none());
    }

    @AfterAll
    void stop() {
        if (tts != null) {
            tts.shutdownNow();
            workers.shutdownNow();
        }
        if (dir != null) {
            WorkDirs.delete(dir);
        }
    }

    @Test
    @Order(1)
    void eachSceneLastsAsLongAsItsNarrationAndTheLessonIsTheirSum() throws Exception {
        assertThat(previewed).containsExactlyInAnyOrder(0, 1, 2);
        double sum = 0;
        for (int i = 0; i < 3; i++) {
            Path sceneDir = LessonRenderer.sceneDir(dir, i);
            double narration = MediaTools.duration(sceneDir.resolve(RenderedScene.NARRATION));
            JsonNode probe = MediaTools.probe(sceneDir.resolve(RenderedScene.VIDEO));
            double video = probe.path("format").path("duration").asDouble();
            assertThat(narration).isGreaterThan(2);
            assertThat(video).as("scene %d", i).isCloseTo(narration, within(0.5));
            assertStreams(probe);
            sum += video;
        }
        JsonNode probe = MediaTools.probe(lesson.video());
        assertStreams(probe);
        assertThat(probe.path("format").path("duration").asDouble()).isCloseTo(sum, within(0.25));
        assertThat(lesson.durationSeconds()).isCloseTo(sum, within(0.25));
        assertThat(topLevelBoxes(lesson.video())).as("faststart: moov before mdat")
                .containsSubsequence("ftyp", "moov", "mdat");
    }

    /** H.264 High at the configured size and rate, yuv420p; AAC 48 kHz mono. */
    private void assertStreams(JsonNode probe) {
        JsonNode v = null;
        JsonNode a = null;
        for (JsonNode s : probe.path("streams")) {
            if (s.path("codec_type").asText().equals("video")) {
                v = s;
            } else if (s.path("codec_type").asText().equals("audio")) {
                a = s;
            }
        }
        assertThat(v).isNotNull();
        assertThat(a).isNotNull();
        assertThat(probe.path("streams")).hasSize(2);
        assertThat(v.path("codec_name").asText()).isEqualTo("h264");
        assertThat(v.path("profile").asText()).isEqualTo("High");
        assertThat(v.path("width").asInt()).isEqualTo(1280);
        assertThat(v.path("height").asInt()).isEqualTo(720);
        assertThat(v.path("pix_fmt").asText()).isEqualTo("yuv420p");
        assertThat(v.path("r_frame_rate").asText()).isEqualTo(config.frameRate() + "/1");
        assertThat(a.path("codec_name").asText()).isEqualTo("aac");
        assertThat(a.path("sample_rate").asText()).isEqualTo("48000");
        assertThat(a.path("channels").asInt()).isEqualTo(1);
    }

    @Test
    @Order(2)
    void captionsParseStrictlyAndFollowTheNarration() throws Exception {
        List<StrictVtt.Cue> all = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            Path sceneDir = LessonRenderer.sceneDir(dir, i);
            List<StrictVtt.Cue> cues = StrictVtt.parse(Files.readString(sceneDir.resolve(RenderedScene.CAPTIONS)));
            double duration = MediaTools.duration(sceneDir.resolve(RenderedScene.NARRATION));
            assertThat(cues.get(0).start()).isEqualTo(0.0);
            assertThat(cues.get(cues.size() - 1).end()).isCloseTo(duration, within(0.01));
            assertThat(words(cues)).isEqualTo(words(plan.scenes().get(i).narration()));
            all.addAll(cues);
        }
        List<StrictVtt.Cue> merged = StrictVtt.parse(Files.readString(lesson.captions()));
        assertThat(words(merged)).isEqualTo(words(all));
        assertThat(merged).hasSameSizeAs(all);
        // a scene's first cue starts where the scene starts in the lesson
        int at = 0;
        for (int i = 0; i < 3; i++) {
            assertThat(merged.get(at).start()).isCloseTo(lesson.sceneStartSeconds().get(i), within(0.002));
            at += StrictVtt.parse(Files.readString(LessonRenderer.sceneDir(dir, i).resolve(RenderedScene.CAPTIONS)))
                    .size();
        }
        assertThat(merged.get(merged.size() - 1).end()).isLessThanOrEqualTo(lesson.durationSeconds() + 0.01);
    }

    @Test
    @Order(3)
    void bulletsAppearAsTheNarrationReachesThemOnStillFrames() throws Exception {
        SlideRenderer slides = new SlideRenderer(1280, 720);
        SlideRenderer.Layout layout = slides.layout(SlideRenderer.Slide.of(plan.scenes().get(0)));
        Path video = LessonRenderer.sceneDir(dir, 0).resolve(RenderedScene.VIDEO);
        double duration = MediaTools.duration(video);
        BufferedImage start = frameAt(video, 0.2);
        BufferedImage end = frameAt(video, duration - 0.3);
        BufferedImage one = slides.draw(layout, 1);
        BufferedImage three = slides.draw(layout, 3);
        // what was drawn, give or take the YUV 4:2:0 round trip; the first frame shows one bullet, the last all three
        assertThat(meanDifference(start, one)).isLessThan(4.0);
        assertThat(meanDifference(end, three)).isLessThan(4.0);
        assertThat(meanDifference(start, three)).isGreaterThan(meanDifference(start, one) + 0.3);
        assertThat(meanDifference(end, one)).isGreaterThan(meanDifference(end, three) + 0.3);
        // stills: x264 coded the repeated frames as (nearly empty) P/B frames: the stream is small
        long bytes = Files.size(video);
        assertThat(bytes * 8 / duration).as("bits per second").isLessThan(400_000);
        BufferedImage poster = ImageIO.read(lesson.poster().toFile());
        assertThat(poster.getWidth()).isEqualTo(1280);
        assertThat(poster.getHeight()).isEqualTo(720);
        assertThat(Files.readAllBytes(lesson.poster()))
                .isEqualTo(Files.readAllBytes(LessonRenderer.sceneDir(dir, 0).resolve(RenderedScene.POSTER)));
    }

    @Test
    @Order(4)
    void reRenderingSceneTwoLeavesTheOthersByteIdenticalAndReassembles() throws Exception {
        Map<String, String> before = hashes(dir);
        List<PlannedScene> edited = new ArrayList<>(plan.scenes());
        PlannedScene old = edited.get(1);
        edited.set(1, new PlannedScene(old.title(), "The derivative of x squared is two x. It is zero at the bottom "
                + "of the parabola, where the tangent is flat.", List.of("Slope of the tangent", "Zero at the vertex"),
                old.block(), old.visualNote(), old.citations()));
        LessonPlan plan2 = new LessonPlan(plan.title(), edited);
        RenderedLesson again = renderer.rerender(plan2, 1, "", dir, Cancellation.none());
        Map<String, String> after = hashes(dir);
        for (String f : before.keySet()) {
            if (f.startsWith("scene-000/") || f.startsWith("scene-002/")) {
                assertThat(after.get(f)).as(f).isEqualTo(before.get(f));
            }
        }
        assertThat(after.get("scene-001/scene.mp4")).isNotEqualTo(before.get("scene-001/scene.mp4"));
        assertThat(after.get("lesson/lesson.mp4")).isNotEqualTo(before.get("lesson/lesson.mp4"));
        assertThat(after.keySet()).isEqualTo(before.keySet()); // no work directory left behind
        double sum = 0;
        for (int i = 0; i < 3; i++) {
            sum += MediaTools.duration(LessonRenderer.sceneDir(dir, i).resolve(RenderedScene.VIDEO));
        }
        assertThat(MediaTools.duration(again.video())).isCloseTo(sum, within(0.25));
        assertThat(Files.readString(again.captions())).contains("flat.");
        assertThat(StrictVtt.parse(Files.readString(again.captions()))).isNotEmpty();
    }

    @Test
    void scenesOfEqualContentHaveEqualHashesAndAnyChangeChangesIt() {
        PlannedScene s = plan.scenes().get(0);
        assertThat(scenes.contentHash(s, "")).isEqualTo(scenes.contentHash(plan().scenes().get(0), ""));
        assertThat(scenes.contentHash(s, "en-gb")).isNotEqualTo(scenes.contentHash(s, ""));
        assertThat(scenes.contentHash(new PlannedScene(s.title(), s.narration(), List.of("other")), ""))
                .isNotEqualTo(scenes.contentHash(s, ""));
    }

    @Test
    void missingFfmpegIsAClearErrorAndLeavesNothingBehind() throws Exception {
        LessonsConfig c = MediaTools.config(Map.of("LECTERN_LESSONS__FFMPEG_PATH", "/nonexistent/bin/ffmpeg"));
        Ffmpeg missing = new Ffmpeg(c.ffmpegPath(), c.encodeTimeoutMillis());
        SceneRenderer r = new SceneRenderer(c, missing, new Narrator(new EspeakTts("espeak-ng", "", tts, 30_000),
                missing, c.narrationTimeoutMillis()));
        Path out = dir.resolve("missing").resolve("scene");
        assertThatThrownBy(() -> r.render(plan.scenes().get(0), "", out, Cancellation.none()))
                .isInstanceOfSatisfying(RenderException.class, e -> {
                    assertThat(e.code()).isEqualTo("ffmpeg_not_found");
                    assertThat(e.getMessage()).contains("lessons.ffmpegPath");
                });
        assertThat(out).doesNotExist();
        try (Stream<Path> left = Files.list(out.getParent())) {
            assertThat(left).isEmpty();
        }
        assertThatThrownBy(() -> new LessonAssembler(missing).assemble(List.of(RenderedScene.in(
                LessonRenderer.sceneDir(dir, 0))), dir.resolve("missing").resolve("lesson"), Cancellation.none()))
                .isInstanceOfSatisfying(RenderException.class, e -> assertThat(e.code()).isEqualTo("ffmpeg_not_found"));
    }

    @Test
    void cancellingARenderKillsFfmpegAndLeavesNothingBehind() throws Exception {
        String sentence = "This sentence is spoken again and again so that the encode runs long enough to be cancelled. ";
        PlannedScene longScene = new PlannedScene("Long", sentence.repeat(20).strip(), List.of("One", "Two"));
        Path out = dir.resolve("cancelled").resolve("scene");
        Cancellation cancel = new Cancellation();
        CompletableFuture<RenderedScene> run = CompletableFuture.supplyAsync(
                () -> scenes.render(longScene, "", out, cancel), workers);
        await().atMost(Duration.ofSeconds(60)).until(() -> ProcessHandle.current().descendants()
                .anyMatch(p -> p.info().command().map(c -> c.endsWith("ffmpeg")).orElse(false)) || run.isDone());
        cancel.cancel();
        assertThatThrownBy(() -> run.get(60, TimeUnit.SECONDS)).cause()
                .isInstanceOfSatisfying(RenderException.class, e -> assertThat(e.code()).isEqualTo("cancelled"));
        assertThat(ProcessHandle.current().descendants()
                .anyMatch(p -> p.isAlive() && p.info().command().map(c -> c.endsWith("ffmpeg")).orElse(false)))
                .isFalse();
        assertThat(out).doesNotExist();
        try (Stream<Path> left = Files.list(out.getParent())) {
            assertThat(left).isEmpty();
        }
    }

    private static List<String> words(List<StrictVtt.Cue> cues) {
        return words(String.join(" ", cues.stream().map(StrictVtt.Cue::text).toList()));
    }

    private static List<String> words(String text) {
        return List.of(text.strip().split("\\s+"));
    }

    private static Map<String, String> hashes(Path root) throws Exception {
        Map<String, String> out = new LinkedHashMap<>();
        try (Stream<Path> walk = Files.walk(root)) {
            for (Path p : walk.filter(Files::isRegularFile).sorted().toList()) {
                out.put(root.relativize(p).toString(), HexFormat.of().formatHex(
                        MessageDigest.getInstance("SHA-256").digest(Files.readAllBytes(p))));
            }
        }
        return out;
    }

    private BufferedImage frameAt(Path video, double seconds) throws Exception {
        Path png = Files.createTempFile(dir, "frame", ".png");
        MediaTools.run(List.of("ffmpeg", "-v", "error", "-y", "-ss", String.format(java.util.Locale.ROOT, "%.3f",
                seconds), "-i", video.toString(), "-frames:v", "1", "-update", "1", png.toString()));
        BufferedImage img = ImageIO.read(png.toFile());
        Files.delete(png);
        return img;
    }

    /** Mean absolute difference per channel (0-255) between two images of one size. */
    static double meanDifference(BufferedImage a, BufferedImage b) {
        long sum = 0;
        for (int y = 0; y < a.getHeight(); y++) {
            for (int x = 0; x < a.getWidth(); x++) {
                int p = a.getRGB(x, y);
                int q = b.getRGB(x, y);
                for (int shift = 0; shift <= 16; shift += 8) {
                    sum += Math.abs(((p >> shift) & 0xff) - ((q >> shift) & 0xff));
                }
            }
        }
        return (double) sum / (3L * a.getWidth() * a.getHeight());
    }

    private static List<String> topLevelBoxes(Path mp4) throws IOException {
        byte[] b = Files.readAllBytes(mp4);
        List<String> out = new ArrayList<>();
        long pos = 0;
        while (pos + 8 <= b.length) {
            long size = ((b[(int) pos] & 0xffL) << 24) | ((b[(int) pos + 1] & 0xffL) << 16)
                    | ((b[(int) pos + 2] & 0xffL) << 8) | (b[(int) pos + 3] & 0xffL);
            out.add(new String(b, (int) pos + 4, 4, StandardCharsets.ISO_8859_1));
            if (size < 8) {
                break;
            }
            pos += size;
        }
        return out;
    }
}
