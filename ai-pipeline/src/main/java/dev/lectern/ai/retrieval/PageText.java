package dev.lectern.ai.retrieval;

/** The text of one page of a document ({@code page} from 1), or of the whole document ({@code page} 0). */
public record PageText(int page, String text) {}
