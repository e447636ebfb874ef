package dev.lectern.lessons.render;

import dev.lectern.lessons.plan.Cancellation;
import dev.lectern.lessons.plan.LessonPlan;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;

/**
 * Renders a whole lesson in one directory: every scene in parallel on the given executor (each into
 * {@code scene-NNN/}; encodes bounded by the {@link SceneRenderer}), the listener told of each scene as soon as its
 * MP4 exists (the live preview), then the assembly into {@code lesson/}. An edit re-renders one scene and re-assembles
 * with the others' files as they are. The first failing scene cancels the others. Blocking.
 */
public final class LessonRenderer {
    private final SceneRenderer scenes;
    private final LessonAssembler assembler;
    private final Executor executor;

    /** Told of each scene the moment it is rendered, on the thread that rendered it. */
    @FunctionalInterface
    public interface Listener {
        void sceneRendered(int index, RenderedScene scene);
    }

    public LessonRenderer(SceneRenderer scenes, LessonAssembler assembler, Executor executor) {
        this.scenes = scenes;
        this.assembler = assembler;
        this.executor = executor;
    }

    public static Path sceneDir(Path lessonDir, int index) {
        return lessonDir.resolve(String.format(Locale.ROOT, "scene-%03d", index));
    }

    public static Path assemblyDir(Path lessonDir) {
        return lessonDir.resolve("lesson");
    }

    public RenderedLesson render(LessonPlan plan, String voice, Path lessonDir, Listener listener,
                                 Cancellation cancel) {
        Cancellation all = new Cancellation();
        try (Cancellation.Registration r = cancel.onCancel(all::cancel)) {
            List<CompletableFuture<RenderedScene>> futures = new ArrayList<>();
            for (int i = 0; i < plan.scenes().size(); i++) {
                int index = i;
                futures.add(CompletableFuture.supplyAsync(() -> {
                    RenderedScene s = scenes.render(plan.scenes().get(index), voice, sceneDir(lessonDir, index), all);
                    listener.sceneRendered(index, s);
                    return s;
                }, executor).whenComplete((s, e) -> {
                    if (e != null) {
                        all.cancel(); // one scene failed: the lesson cannot be assembled, stop the others
                    }
                }));
            }
            List<RenderedScene> rendered = new ArrayList<>();
            RenderException first = null;
            for (CompletableFuture<RenderedScene> f : futures) {
                try {
                    rendered.add(f.get());
                } catch (ExecutionException | CompletionException e) {
                    RenderException re = unwrap(e.getCause());
                    if (first == null || "cancelled".equals(first.code())) {
                        first = re; // report the cause, not the cancellations it caused
                    }
                } catch (InterruptedException e) {
                    all.cancel();
                    Thread.currentThread().interrupt();
                    throw RenderException.cancelled();
                }
            }
            if (first != null) {
                throw cancel.isCancelled() ? RenderException.cancelled() : first;
            }
            return assembler.assemble(rendered, assemblyDir(lessonDir), cancel);
        }
    }

    /** Re-renders scene {@code index} of {@code plan} and re-assembles; the other scenes' files are not touched. */
    public RenderedLesson rerender(LessonPlan plan, int index, String voice, Path lessonDir, Cancellation cancel) {
        List<RenderedScene> rendered = new ArrayList<>();
        for (int i = 0; i < plan.scenes().size(); i++) { // the others first: fail before rendering when one is missing
            rendered.add(i == index ? null : RenderedScene.in(sceneDir(lessonDir, i)));
        }
        rendered.set(index, scenes.render(plan.scenes().get(index), voice, sceneDir(lessonDir, index), cancel));
        return assembler.assemble(rendered, assemblyDir(lessonDir), cancel);
    }

    private static RenderException unwrap(Throwable t) {
        if (t instanceof RenderException re) {
            return re;
        }
        return new RenderException("render_failed", "the scene could not be rendered: " + t);
    }
}
