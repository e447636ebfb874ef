package dev.lectern.lessons.plan;

import java.util.List;
import java.util.Objects;

/**
 * One scene of a lesson: its slide title, the narration spoken over it, the bullets revealed as the narration
 * advances and/or one formula or code block, a note on the intended visual (for the editor; not drawn), and the
 * sources it cites (drawn in the slide's footer). {@code block} is null when the scene has none.
 */
public record PlannedScene(String title, String narration, List<String> bullets, Block block, String visualNote,
                           List<Citation> citations) {
    public PlannedScene {
        Objects.requireNonNull(title, "title");
        Objects.requireNonNull(narration, "narration");
        bullets = List.copyOf(bullets);
        visualNote = visualNote == null ? "" : visualNote;
        citations = List.copyOf(citations);
    }

    public PlannedScene(String title, String narration, List<String> bullets) {
        this(title, narration, bullets, null, "", List.of());
    }

    /** A formula or a piece of code, drawn in a monospace block; {@code language} names the code's language or "". */
    public record Block(Kind kind, String text, String language) {
        public enum Kind { FORMULA, CODE }

        public Block {
            Objects.requireNonNull(kind, "kind");
            Objects.requireNonNull(text, "text");
            language = language == null ? "" : language;
        }
    }

    /** A source the scene draws on: a document of the user's, and the page (0 = a document without pages). */
    public record Citation(String documentId, String filename, int page) {
        public Citation {
            Objects.requireNonNull(documentId, "documentId");
            Objects.requireNonNull(filename, "filename");
        }

        /** How the slide footer names it: {@code notes.pdf, p. 3}. */
        public String label() {
            return page > 0 ? filename + ", p. " + page : filename;
        }
    }
}
