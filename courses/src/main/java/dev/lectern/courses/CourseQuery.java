package dev.lectern.courses;

import dev.lectern.ai.llm.ChatMessage;
import dev.lectern.core.auth.Principal;
import java.util.ArrayList;
import java.util.List;

/**
 * A question about a course, prepared for the model: the passages of the course's materials and transcripts relevant
 * to it (each a numbered source the answer cites as {@code [n]}), and the messages that ask the model to answer from
 * them only. With no relevant passage there is nothing to ground an answer in: {@link Prepared#grounded()} is false
 * and the answer says so instead of asking the model.
 */
public final class CourseQuery {
    /** What an ungrounded question is answered with. */
    public static final String NO_PASSAGE = "I found nothing in this course's materials or lecture transcripts about "
            + "that, so I cannot answer it from the course.";
    private static final int MAX_QUESTION = 2000;

    private final CourseService courses;
    private final ModelAnswers model;
    private final int topPassages;
    private final int maxTokens;

    public CourseQuery(CourseService courses, ModelAnswers model, int topPassages, int maxTokens) {
        this.courses = courses;
        this.model = model;
        this.topPassages = topPassages;
        this.maxTokens = maxTokens;
    }

    /** The prepared question: its sources and the model's messages (empty when not grounded). */
    public record Prepared(List<CoursePassage> sources, List<ChatMessage> messages) {
        public boolean grounded() {
            return !sources.isEmpty();
        }
    }

    /** Checks the caller may ask (404 otherwise) and finds the sources; blocking. */
    public Prepared prepare(Principal caller, String courseId, String question) {
        String q = Ids.required(question, "question", MAX_QUESTION);
        List<CoursePassage> sources = courses.search(caller, courseId, q, topPassages);
        if (sources.isEmpty()) {
            return new Prepared(List.of(), List.of());
        }
        StringBuilder context = new StringBuilder();
        for (int i = 0; i < sources.size(); i++) {
            CoursePassage p = sources.get(i);
            context.append('[').append(i + 1).append("] ").append(p.citation()).append('\n').append(p.text())
                    .append("\n\n");
        }
        List<ChatMessage> messages = new ArrayList<>();
        messages.add(new ChatMessage("system", "You answer students' questions about a course using only the "
                + "numbered course sources below. Cite every fact with its source number in brackets, e.g. [2]. If "
                + "the sources do not answer the question, say that the course does not cover it.\n\n" + context));
        messages.add(new ChatMessage("user", q));
        return new Prepared(sources, messages);
    }

    public ModelAnswers model() {
        return model;
    }

    public int maxTokens() {
        return maxTokens;
    }
}
