package dev.lectern.ai.conversation;

/** Who the tutor is in a chat: a companion id (null for the default tutor), a display name and its system prompt. */
public record Persona(String companionId, String name, String prompt) {}
