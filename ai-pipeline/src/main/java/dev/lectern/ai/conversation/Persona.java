package dev.lectern.ai.conversation;

/** Who the tutor is in a chat: a companion id (null for the default tutor), a display name and its system prompt. */
public record Persona(String companionId, String name, String prompt, String voice) {
    public Persona {
        voice = voice == null ? "" : voice;
    }

    /** A persona that speaks with the text-to-speech provider's configured voice. */
    public Persona(String companionId, String name, String prompt) {
        this(companionId, name, prompt, "");
    }
}
