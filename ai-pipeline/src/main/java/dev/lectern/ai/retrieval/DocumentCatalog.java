package dev.lectern.ai.retrieval;

import java.util.List;

/**
 * What each owner's index must hold, as the SQL store records it: the source of truth every node's index follows.
 * Every change to an owner's indexed files (an upload indexed, a re-index, a delete) raises the owner's
 * {@link #generation} in the transaction that records it. May block (JDBC).
 */
public interface DocumentCatalog {
    /** Names this family of indexes (e.g. {@code user_files}): the channel its nodes tell each other changes on. */
    String scope();

    /** The owner's current generation (0 before any change); a cheap indexed read, done before every search. */
    long generation(String owner);

    /** The owner's files that belong in the index (documents, transcribed audio), oldest first. */
    List<Entry> indexedFiles(String owner);

    /** One indexed file; {@code version} is the generation it was last indexed at (a re-index raises it). */
    record Entry(String fileId, long version, String filename, FileKind kind, String objectKey) {}
}
