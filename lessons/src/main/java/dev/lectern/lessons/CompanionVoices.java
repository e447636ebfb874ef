package dev.lectern.lessons;

import java.util.Optional;

/**
 * The voices of the companions (tutors) a project may name: the narration of its lessons is spoken in that voice.
 * Implemented where the companions live (the server wires the tutoring module's catalogue); blocking.
 */
@FunctionalInterface
public interface CompanionVoices {
    /**
     * The companion's text-to-speech voice ("" = the provider's configured voice), or empty when there is no such
     * companion.
     */
    Optional<String> voice(String companionId);
}
