package dev.lectern.lessons.render;

import java.nio.file.Path;
import java.util.List;
import java.util.Objects;

/**
 * A scene's narration: one WAV file, its exact length, and when each sentence is spoken in it (known exactly: each
 * sentence was synthesised as its own clip). Captions and the bullets' reveal follow these times.
 */
public record Narration(Path audio, double durationSeconds, List<TimedText> sentences) {
    public Narration {
        Objects.requireNonNull(audio, "audio");
        sentences = List.copyOf(sentences);
    }

    /** A piece of text and when it is spoken, in seconds from the start of the scene. */
    public record TimedText(String text, double startSeconds, double endSeconds) {}
}
