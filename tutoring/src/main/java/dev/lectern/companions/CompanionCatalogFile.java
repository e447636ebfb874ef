package dev.lectern.companions;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonMappingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import dev.lectern.core.config.ConfigException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/** Reads {@code config/companions.yaml}: strict, so a typo or a duplicate id stops start-up with a message naming it. */
public final class CompanionCatalogFile {
    private static final ObjectMapper YAML = JsonMapper.builder(new YAMLFactory())
            .enable(DeserializationFeature.FAIL_ON_UNKNOWN_PROPERTIES)
            .enable(DeserializationFeature.FAIL_ON_MISSING_CREATOR_PROPERTIES)
            .build();

    private CompanionCatalogFile() {}

    record Entry(String id, String name, String subject, String persona, String voice, String avatar, String greeting) {}

    record File(List<Entry> companions) {}

    public static List<Companion> load(Path file) {
        File parsed;
        try {
            parsed = YAML.readValue(Files.readString(file), File.class);
        } catch (JsonMappingException e) {
            throw new ConfigException("companion catalogue " + file + ": " + e.getOriginalMessage()
                    + (e.getCause() != null && e.getCause().getMessage() != null ? " (" + e.getCause().getMessage() + ")" : ""));
        } catch (IOException e) {
            throw new ConfigException("companion catalogue " + file + ": " + e.getMessage(), e);
        }
        if (parsed == null || parsed.companions() == null) {
            throw new ConfigException("companion catalogue " + file + ": expected a 'companions' list");
        }
        Set<String> ids = new HashSet<>();
        return parsed.companions().stream().map(e -> {
            Companion c;
            try {
                c = new Companion(e.id(), e.name(), e.subject(), e.persona(), e.voice(), e.avatar(), e.greeting(), false);
            } catch (IllegalArgumentException ex) {
                throw new ConfigException("companion catalogue " + file + ", entry " + e.id() + ": " + ex.getMessage());
            }
            if (!ids.add(c.id())) {
                throw new ConfigException("companion catalogue " + file + ": duplicate id " + c.id());
            }
            return c;
        }).toList();
    }
}
