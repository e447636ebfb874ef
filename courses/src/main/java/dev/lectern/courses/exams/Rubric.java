package dev.lectern.courses.exams;

import java.util.List;

/**
 * A Canvas-shaped rubric: criteria, each with ratings (description, long description, points). A criterion's points
 * are its highest rating's. Reusable: any question of the course may point at it.
 */
public record Rubric(String id, String courseId, String title, List<Criterion> criteria, int version, String createdBy,
                     long createdAt, long updatedAt) {
    public Rubric {
        criteria = List.copyOf(criteria);
    }

    public record Criterion(String id, String description, String longDescription, double points,
                            List<Rating> ratings) {
        public Criterion {
            ratings = ratings == null ? List.of() : List.copyOf(ratings);
            longDescription = longDescription == null ? "" : longDescription;
        }
    }

    public record Rating(String id, String description, String longDescription, double points) {
        public Rating {
            longDescription = longDescription == null ? "" : longDescription;
        }
    }

    public double pointsPossible() {
        return criteria.stream().mapToDouble(Criterion::points).sum();
    }
}
