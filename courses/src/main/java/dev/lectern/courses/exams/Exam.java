package dev.lectern.courses.exams;

import java.util.List;

/**
 * An exam of a course: its ordered items, and once published its window ({@code opensAt} inclusive to
 * {@code closesAt} exclusive, server clock) and time limit. Status: draft, published. {@code releasedAt} is set when
 * the lecturer releases the results.
 */
public record Exam(String id, String courseId, String title, String status, Long opensAt, Long closesAt,
                   Long timeLimitMillis, Long releasedAt, int version, List<Item> items, String createdBy,
                   long createdAt, long updatedAt) {
    public static final String DRAFT = "draft";
    public static final String PUBLISHED = "published";

    public Exam {
        items = List.copyOf(items);
    }

    /** A question at a position; {@code questionVersion} is pinned at publication (null while a draft). */
    public record Item(String questionId, int position, Integer questionVersion) {}

    public boolean published() {
        return PUBLISHED.equals(status);
    }

    public List<String> questionIds() {
        return items.stream().map(Item::questionId).toList();
    }
}
