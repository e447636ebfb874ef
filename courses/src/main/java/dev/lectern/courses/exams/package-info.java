/**
 * Issue #25: a course's question bank, exams generated from the course's own text and reviewed by the lecturer,
 * Canvas-shaped rubrics, attempts with per-student shuffles and a server-clock deadline, objective and rubric grading
 * (the model drafts, the lecturer overrides and releases), agreement and item statistics, and exports (PDF, GIFT,
 * Moodle XML, QTI 2.1 in {@code exams.export}).
 *
 * <p>What this package needs of the courses feature is the {@link dev.lectern.courses.exams.ExamCourses} port; the
 * services never import {@code dev.lectern.http}: the REST adapters live in {@code exams.web}.
 */
package dev.lectern.courses.exams;
