/**
 * Seed 004's lecture-management product: regions, groups, courses, enrolment, lectures and transcripts, course-wide
 * questions (issue #24), and exams, rubrics and grading in {@code dev.lectern.courses.exams} (issue #25). Services
 * here never import {@code dev.lectern.http}; the REST adapters live in {@code dev.lectern.courses.web}.
 */
package dev.lectern.courses;
