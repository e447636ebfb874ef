package dev.lectern.ai.retrieval;

import java.util.List;

/**
 * Which of a user's uploads belong in the index, for rebuilding it from the object store. The SQL store of files
 * implements it. May block (JDBC).
 */
@FunctionalInterface
public interface DocumentCatalog {
    /** The user's uploads that were indexed (documents, transcribed audio), oldest first. */
    List<Entry> indexedFiles(String userId);

    record Entry(String fileId, String filename, FileKind kind, String objectKey) {}
}
