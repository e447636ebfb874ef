package dev.lectern.companions;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.config.ConfigException;
import dev.lectern.testing.TestConfigs;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CompanionCatalogFileTest {
    @Test
    void shippedCatalogueLoads() {
        List<Companion> all = CompanionCatalogFile.load(TestConfigs.home().resolve("config/companions.yaml"));
        assertThat(all).extracting(Companion::id).contains("ada-math", "max-physics");
        assertThat(all).allSatisfy(c -> assertThat(c.persona()).isNotBlank());
    }

    @Test
    void typosDuplicatesAndBadIdsAreNamed(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("c.yaml");
        Files.writeString(f, "companions:\n  - id: a\n    name: A\n    subject: x\n    persona: p\n    voice: ''\n"
                + "    avatar: ''\n    greeting: ''\n    colour: red\n");
        assertThatThrownBy(() -> CompanionCatalogFile.load(f)).isInstanceOf(ConfigException.class).hasMessageContaining("colour");
        String one = "  - id: %s\n    name: A\n    subject: x\n    persona: p\n    voice: ''\n    avatar: ''\n    greeting: ''\n";
        Files.writeString(f, "companions:\n" + one.formatted("a") + one.formatted("a"));
        assertThatThrownBy(() -> CompanionCatalogFile.load(f)).hasMessageContaining("duplicate id a");
        Files.writeString(f, "companions:\n" + one.formatted("../etc"));
        assertThatThrownBy(() -> CompanionCatalogFile.load(f)).hasMessageContaining("id must match");
    }
}
