package dev.lectern.courses;

/** One piece of a lecture's transcript: where it lies in the recording (milliseconds) and what was said. */
public record TranscriptSegment(int seq, long startMs, long endMs, String text, boolean corrected) {}
