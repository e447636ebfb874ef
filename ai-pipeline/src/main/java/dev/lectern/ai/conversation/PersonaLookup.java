package dev.lectern.ai.conversation;

import java.util.Optional;

/**
 * Finds a companion's persona. Until the companions catalogue exists only the default tutor is known; a lookup may
 * block (it will read the catalogue or the database).
 */
public interface PersonaLookup {
    Persona defaultPersona();

    Optional<Persona> find(String companionId);

    /** Only the default tutor, with the configured prompt. */
    static PersonaLookup defaultOnly(String prompt) {
        Persona tutor = new Persona(null, "Lectern", prompt);
        return new PersonaLookup() {
            @Override
            public Persona defaultPersona() {
                return tutor;
            }

            @Override
            public Optional<Persona> find(String companionId) {
                return Optional.empty();
            }
        };
    }
}
