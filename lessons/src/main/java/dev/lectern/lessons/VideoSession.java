package dev.lectern.lessons;

/**
 * One generation run of a project: the prompt and scene count it was asked for, its status (DRAFT until a job is
 * queued, then QUEUED, GENERATING, READY or FAILED), the job that runs it and, once assembled, the video's URL.
 */
public record VideoSession(String id, String projectId, String prompt, int sceneCount, String status, String jobId,
                           String videoUrl, long createdAt, long updatedAt) {}
