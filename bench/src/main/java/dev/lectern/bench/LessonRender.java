package dev.lectern.bench;

import dev.lectern.ai.tts.EspeakTts;
import dev.lectern.core.config.ConfigLoader;
import dev.lectern.core.config.LessonsConfig;
import dev.lectern.lessons.plan.LessonPlan;
import dev.lectern.lessons.plan.PlannedScene;
import dev.lectern.lessons.plan.Cancellation;
import dev.lectern.lessons.render.Ffmpeg;
import dev.lectern.lessons.render.LessonAssembler;
import dev.lectern.lessons.render.LessonRenderer;
import dev.lectern.lessons.render.Narration;
import dev.lectern.lessons.render.Narrator;
import dev.lectern.lessons.render.RenderedLesson;
import dev.lectern.lessons.render.RenderedScene;
import dev.lectern.lessons.render.SceneRenderer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@code bin/bench LessonRender [--scenes 10] [--height 720] [--runs 3]}: renders a lesson of {@code scenes} slide
 * scenes (title, three bullets revealed with the narration, a formula on every third) with the real espeak-ng and
 * ffmpeg, through the production classes and the shipped {@code lessons} settings (scenes in parallel, at most
 * {@code lessons.maxParallelRenders} encodes at once). It reports, each as the median of {@code runs}:
 * <ul>
 *   <li>seconds of render per minute of video, for the whole lesson (narration, slides, encodes, assembly) and for
 *       the encodes alone (narration excluded);</li>
 *   <li>a scene's time from its narration existing to its MP4 being ready (one scene at a time, nothing else
 *       running: the live-preview latency of the first scene);</li>
 *   <li>the assembly (stream-copy join, merged captions, poster) of the whole lesson;</li>
 *   <li>an edit of one scene in the middle (its narration, slides and encode, then the assembly) as a fraction of
 *       the whole render.</li>
 * </ul>
 * Each figure comes with the CPU time (this JVM and its ffmpeg/espeak-ng children), which a busy shared machine
 * disturbs far less than wall time. Targets (issue 23, 2 cores, 720p): at most 15 s of render per minute of video, the first scene at most 5 s after
 * its narration, assembly at most 1 s, a one-scene edit at most 20 % of the full render.
 */
public final class LessonRender {
    private LessonRender() {}

    public static void main(String[] args) throws Exception {
        int sceneCount = intArg(args, "--scenes", 10);
        int height = intArg(args, "--height", 720);
        int runs = intArg(args, "--runs", 3);
        Map<String, String> env = new HashMap<>();
        env.put("LECTERN_LESSONS__WIDTH", Integer.toString(height * 16 / 9));
        env.put("LECTERN_LESSONS__HEIGHT", Integer.toString(height));
        LessonsConfig config = ConfigLoader.load(Path.of("config/lectern.yaml"), env).lessons();
        Path root = TempDirs.create("lectern-lesson-bench");
        ExecutorService tts = Executors.newFixedThreadPool(4);
        ExecutorService workers = Executors.newFixedThreadPool(Math.max(2, config.maxParallelRenders() + 1));
        try {
            Ffmpeg ffmpeg = new Ffmpeg(config.ffmpegPath(), config.encodeTimeoutMillis());
            Narrator narrator = new Narrator(new EspeakTts("espeak-ng", "", tts, 30_000), ffmpeg,
                    config.narrationTimeoutMillis());
            SceneRenderer scenes = new SceneRenderer(config, ffmpeg, narrator);
            LessonAssembler assembler = new LessonAssembler(ffmpeg);
            LessonRenderer renderer = new LessonRenderer(scenes, assembler, workers);
            LessonPlan plan = plan(sceneCount);
            System.out.printf("lesson: %d scenes at %dx%d %d fps, x264 %s, maxParallelRenders %d, %d runs; %s%n",
                    sceneCount, config.width(), config.height(), config.frameRate(), config.x264Preset(),
                    config.maxParallelRenders(), runs, load());
            renderer.render(plan(2), "", root.resolve("warmup"), (i, s) -> {}, Cancellation.none()); // JIT, fonts

            double[] full = new double[runs];
            double[] perMinute = new double[runs];
            double[] encodePerMinute = new double[runs];
            double[] firstScene = new double[runs];
            double[] assembly = new double[runs];
            double[] edit = new double[runs];
            double[] cpuPerMinute = new double[runs];
            double[] encodeCpuPerMinute = new double[runs];
            double videoSeconds = 0;
            for (int r = 0; r < runs; r++) {
                Path dir = root.resolve("run" + r);
                long t0 = System.nanoTime();
                double c0 = cpuSeconds();
                RenderedLesson lesson = renderer.render(plan, "", dir, (i, s) -> {}, Cancellation.none());
                full[r] = seconds(t0);
                videoSeconds = lesson.durationSeconds();
                perMinute[r] = full[r] / (videoSeconds / 60);
                cpuPerMinute[r] = (cpuSeconds() - c0) / (videoSeconds / 60);

                // narration first (not timed), then each scene's encode alone: narration → MP4
                List<Narration> narrations = new ArrayList<>();
                for (int i = 0; i < sceneCount; i++) {
                    narrations.add(narrator.narrate(plan.scenes().get(i).narration(), "",
                            dir.resolve("narration-" + i + ".wav"), Cancellation.none()));
                }
                double encodes = 0;
                double encodeCpu = cpuSeconds();
                double[] each = new double[sceneCount];
                for (int i = 0; i < sceneCount; i++) {
                    long t = System.nanoTime();
                    scenes.encode(plan.scenes().get(i), narrations.get(i), dir.resolve("encode-" + i),
                            Cancellation.none());
                    each[i] = seconds(t);
                    encodes += each[i];
                }
                encodePerMinute[r] = encodes / (videoSeconds / 60);
                encodeCpuPerMinute[r] = (cpuSeconds() - encodeCpu) / (videoSeconds / 60);
                firstScene[r] = each[0];

                List<RenderedScene> rendered = new ArrayList<>();
                for (int i = 0; i < sceneCount; i++) {
                    rendered.add(RenderedScene.in(LessonRenderer.sceneDir(dir, i)));
                }
                long ta = System.nanoTime();
                assembler.assemble(rendered, dir.resolve("assembled"), Cancellation.none());
                assembly[r] = seconds(ta);

                long te = System.nanoTime();
                renderer.rerender(edited(plan, sceneCount / 2), sceneCount / 2, "", dir, Cancellation.none());
                edit[r] = seconds(te) / full[r];
                System.out.printf(Locale.ROOT, "run %d: full %.2f s for %.1f s of video (%.1f s/min, CPU %.1f s/min; "
                        + "encodes alone %.1f s/min, CPU %.1f s/min); first scene narration→MP4 %.2f s (scenes %s s); "
                        + "assembly %.3f s; one-scene edit %.2f s = %.0f %% of full; %s%n", r + 1, full[r],
                        videoSeconds, perMinute[r], cpuPerMinute[r], encodePerMinute[r], encodeCpuPerMinute[r],
                        firstScene[r], format(each), assembly[r], seconds(te), edit[r] * 100, load());
            }
            System.out.printf(Locale.ROOT, "median of %d: %.1f s of render per minute of %dp video (target <= 15; "
                            + "CPU %.1f s/min, so %.1f s/min on 2 idle cores at best), encodes alone %.1f s/min; first "
                            + "scene %.2f s after its narration (target <= 5); assembly %.3f s (target <= 1); one-scene "
                            + "edit %.0f %% of the full render (target <= 20 %%); %s%n", runs, median(perMinute), height,
                    median(cpuPerMinute), median(cpuPerMinute) / 2, median(encodePerMinute), median(firstScene),
                    median(assembly), median(edit) * 100, load());
        } finally {
            tts.shutdownNow();
            workers.shutdownNow();
        }
    }

    /** Scenes of about 10 s of narration: three sentences, three bullets, a formula on every third. */
    static LessonPlan plan(int n) {
        List<PlannedScene> scenes = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            PlannedScene.Block block = i % 3 == 1 ? new PlannedScene.Block(PlannedScene.Block.Kind.FORMULA,
                    "∫₀¹ x² dx = 1/3", "") : null;
            scenes.add(new PlannedScene("Part " + (i + 1) + ": rates and areas", "In part " + (i + 1) + " we look at "
                    + "how a quantity changes over time. The derivative gives the rate at each instant, and the "
                    + "integral adds the small changes back up. Together they let us move between speed and distance.",
                    List.of("Change over time", "Derivative: the instant rate", "Integral: adding it back up"), block,
                    "", List.of()));
        }
        return new LessonPlan("Calculus", scenes);
    }

    private static LessonPlan edited(LessonPlan plan, int index) {
        List<PlannedScene> scenes = new ArrayList<>(plan.scenes());
        PlannedScene s = scenes.get(index);
        scenes.set(index, new PlannedScene(s.title() + " (revised)", s.narration().replace("Together", "Side by side"),
                s.bullets(), s.block(), s.visualNote(), s.citations()));
        return new LessonPlan(plan.title(), scenes);
    }

    /**
     * CPU time of this JVM and of its children that have exited (ffmpeg, espeak-ng), from {@code /proc/self/stat}:
     * unlike wall time, hardly disturbed by other work on a shared machine.
     */
    private static double cpuSeconds() {
        try {
            String stat = Files.readString(Path.of("/proc/self/stat"));
            String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(f[11]) + Long.parseLong(f[12]) + Long.parseLong(f[13]) + Long.parseLong(f[14]);
            return ticks / 100.0; // USER_HZ
        } catch (java.io.IOException | RuntimeException e) {
            return Double.NaN;
        }
    }

    private static double seconds(long since) {
        return (System.nanoTime() - since) / 1e9;
    }

    private static double median(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static String format(double[] v) {
        StringBuilder b = new StringBuilder();
        for (double d : v) {
            b.append(b.length() == 0 ? "" : " ").append(String.format(Locale.ROOT, "%.2f", d));
        }
        return b.toString();
    }

    private static String load() {
        try {
            String[] l = Files.readString(Path.of("/proc/loadavg")).split(" ", 4);
            return "load average " + l[0] + " " + l[1] + " " + l[2] + " on " + Runtime.getRuntime()
                    .availableProcessors() + " cores";
        } catch (java.io.IOException e) {
            return "load average unknown";
        }
    }

    private static int intArg(String[] args, String name, int dflt) {
        for (int i = 0; i < args.length - 1; i++) {
            if (args[i].equals(name)) {
                return Integer.parseInt(args[i + 1]);
            }
        }
        return dflt;
    }
}
