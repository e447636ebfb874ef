package dev.lectern.lessons;

import java.util.List;

/** A session and its scenes in play order. */
public record SessionWithScenes(VideoSession session, List<Scene> scenes) {}
