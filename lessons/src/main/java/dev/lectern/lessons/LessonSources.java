package dev.lectern.lessons;

import dev.lectern.ai.retrieval.Passage;
import java.util.List;

/**
 * What grounds a lesson in the user's uploads ({@code documentIds} on {@code POST /jobs/generate}): the passages of
 * those documents that the existing retrieval finds for the prompt, best first. Blocking.
 */
@FunctionalInterface
public interface LessonSources {
    /**
     * @throws dev.lectern.core.error.ServiceException 400 when a document is not one of the owner's indexed uploads
     */
    List<Passage> passages(String ownerId, List<String> documentIds, String prompt);
}
