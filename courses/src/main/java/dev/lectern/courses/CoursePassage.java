package dev.lectern.courses;

/**
 * A passage of a course found for a question, with its source: a material ({@code source} = {@value #MATERIAL}, its
 * file name and page, 0 for a document without pages) or a lecture transcript ({@code source} = {@value #LECTURE},
 * the lecture's title and where in the recording the passage starts and ends). {@code score} is BM25, higher is
 * better.
 */
public record CoursePassage(String source, String sourceId, String name, int page, long startMs, long endMs,
                            String text, float score) {
    public static final String MATERIAL = "material";
    public static final String LECTURE = "lecture";

    /** How an answer cites it: {@code file.pdf p. 3}, or {@code Lecture title @ 12:05}. */
    public String citation() {
        if (source.equals(LECTURE)) {
            return name + " @ " + Timestamps.clock(startMs);
        }
        return page > 0 ? name + " p. " + page : name;
    }
}
