package dev.lectern.lessons.plan;

import java.util.List;
import java.util.Objects;

/** A lesson as the model (or the caller) wrote it, checked by {@link PlanValidator}: a title and its scenes in order. */
public record LessonPlan(String title, List<PlannedScene> scenes) {
    public LessonPlan {
        Objects.requireNonNull(title, "title");
        scenes = List.copyOf(scenes);
    }
}
