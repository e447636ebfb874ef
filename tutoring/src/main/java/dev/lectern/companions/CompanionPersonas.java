package dev.lectern.companions;

import dev.lectern.ai.conversation.Persona;
import dev.lectern.ai.conversation.PersonaLookup;
import java.util.Optional;

/**
 * The AI tutor's personas come from the companion catalogue, each speaking with its companion's {@code voice}; retired
 * companions no longer answer. Blocking.
 */
public final class CompanionPersonas implements PersonaLookup {
    private final CompanionRepository companions;
    private final Persona defaultPersona;

    public CompanionPersonas(CompanionRepository companions, String defaultPrompt) {
        this.companions = companions;
        this.defaultPersona = new Persona(null, "Lectern", defaultPrompt);
    }

    @Override
    public Persona defaultPersona() {
        return defaultPersona;
    }

    @Override
    public Optional<Persona> find(String companionId) {
        return companions.find(companionId).map(CompanionRepository.Stored::companion).filter(c -> !c.retired())
                .map(c -> new Persona(c.id(), c.name(), c.persona(), c.voice()));
    }
}
