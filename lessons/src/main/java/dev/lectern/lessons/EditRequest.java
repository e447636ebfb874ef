package dev.lectern.lessons;

/** {@code POST /jobs/edit}: what to change in one scene of a session. */
public record EditRequest(String projectId, String sessionId, String sceneId, String prompt) {}
