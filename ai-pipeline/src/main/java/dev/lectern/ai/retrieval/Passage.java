package dev.lectern.ai.retrieval;

/**
 * A passage retrieved for a question: the file it comes from, its page (0 = a document without pages), its text, and
 * its BM25 score.
 */
public record Passage(String fileId, String filename, int page, String text, float score) {}
