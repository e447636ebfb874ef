package dev.lectern.lessons;

/** The seed's {@code POST /jobs/generate} body (its {@code timestamp} is the signature's business, not ours). */
public record GenerateRequest(String projectId, String sessionId, int sceneCount, String prompt) {}
