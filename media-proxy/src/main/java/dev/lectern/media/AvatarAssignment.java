package dev.lectern.media;

/**
 * A user's avatar instance, as {@code POST /api/avatar/start} reports it.
 *
 * @param avatarName the catalogue name
 * @param instanceId this instance, unique within the node ("tutor-anna-3")
 * @param port the instance's port on 127.0.0.1
 * @param gpu the CUDA device, or null without GPUs
 * @param connections users sharing the instance, this one included
 * @param newInstance whether this call started the process
 */
public record AvatarAssignment(String avatarName, String instanceId, int port, String gpu, int connections,
                               boolean newInstance) {}
