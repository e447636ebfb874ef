package dev.lectern.lessons;

import dev.lectern.core.objects.ObjectStore;
import dev.lectern.lessons.plan.LessonPlanner;
import dev.lectern.lessons.render.LessonAssembler;
import dev.lectern.lessons.render.SceneRenderer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Objects;

/**
 * What turns planned scenes into lesson videos: the planner ({@code null} when this node has no model: a generation
 * without the caller's own scenes then fails with {@code model_not_configured}), the scene renderer and assembler,
 * the object store the finished files go to (bucket {@link ObjectStore#LESSONS}), how long the signed URLs handed out
 * live, the per-user quota of stored lesson media ({@code lessons.mediaQuotaBytes}) and where temporary render files
 * go (removed on every way out); the companions' voices ({@code null}: projects cannot name a companion) and the
 * retrieval over the users' uploads that grounds plans ({@code null}: {@code documentIds} are refused).
 */
public record LessonStudio(LessonPlanner planner, SceneRenderer scenes, LessonAssembler assembler, ObjectStore objects,
                           Duration urlTtl, long quotaBytes, Path workRoot, CompanionVoices voices,
                           LessonSources sources) {
    public LessonStudio(LessonPlanner planner, SceneRenderer scenes, LessonAssembler assembler, ObjectStore objects,
                        Duration urlTtl, long quotaBytes, Path workRoot) {
        this(planner, scenes, assembler, objects, urlTtl, quotaBytes, workRoot, null, null);
    }

    public LessonStudio {
        Objects.requireNonNull(scenes, "scenes");
        Objects.requireNonNull(assembler, "assembler");
        Objects.requireNonNull(objects, "objects");
        Objects.requireNonNull(urlTtl, "urlTtl");
        Objects.requireNonNull(workRoot, "workRoot");
    }
}
