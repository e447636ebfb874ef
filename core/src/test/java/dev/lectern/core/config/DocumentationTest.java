package dev.lectern.core.config;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.testing.TestConfigs;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The README and the pages under {@code docs/} stay true to the code they describe: every configuration key they
 * name (as {@code section.key} or {@code LECTERN_SECTION__KEY}) is a key of {@code config/lectern.yaml}, every
 * {@code bin/...} script they show exists, every {@code bin/bench NAME} names a benchmark of the bench module, and
 * every relative link reaches a file (and, with {@code #anchor}, a heading of it). The measurement history under
 * {@code docs/perf/} is not held to today's keys and benchmarks, but its links must still resolve.
 */
class DocumentationTest {
    /** Written like keys but not keys: job kinds, and the deliberate typo the README shows being refused. */
    private static final Set<String> NOT_KEYS = Set.of("exams.generate", "exams.grade", "exams.rubric.draft",
            "LECTERN_HTTP__PROT");
    private static final Pattern CODE_SPAN = Pattern.compile("`([^`\\n]+)`");
    private static final Pattern DOTTED = Pattern.compile("(?<![\\w./-])([a-z][A-Za-z0-9]*(?:\\.[a-z][A-Za-z0-9]*)+)(\\.\\*)?(?![\\w/(-])");
    private static final Pattern ENV_KEY = Pattern.compile("\\bLECTERN_([A-Z0-9_]+?__[A-Z0-9_]*[A-Z0-9])\\b");
    private static final Pattern BIN = Pattern.compile("(?<![\\w/.])bin/([a-z][a-z-]*)");
    private static final Pattern BENCH = Pattern.compile("bin/bench ([A-Z][a-z][A-Za-z0-9]*|jmh)\\b");
    private static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
    private static final Pattern FENCE = Pattern.compile("(?s)```.*?```");
    private static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} (.+)$");

    private final Path home = TestConfigs.home();
    private final ObjectNode config = TestConfigs.tree();

    @Test
    void everyConfigKeyTheDocsNameIsInTheShippedFile() {
        List<String> unknown = new ArrayList<>();
        for (Path page : currentPages()) {
            if (page.endsWith("ARCHITECTURE.md")) {
                continue; // it names Java packages (`courses.web`, `http.internal`), written like keys
            }
            String text = read(page);
            Matcher span = CODE_SPAN.matcher(text);
            while (span.find()) {
                Matcher key = DOTTED.matcher(span.group(1));
                while (key.find()) {
                    String dotted = key.group(1);
                    if (config.has(dotted.substring(0, dotted.indexOf('.'))) && !NOT_KEYS.contains(dotted)
                            && !resolves(dotted.split("\\."))) {
                        unknown.add(name(page) + ": " + dotted);
                    }
                }
            }
            Matcher env = ENV_KEY.matcher(text);
            while (env.find()) {
                String[] path = Stream.of(env.group(1).split("__")).map(DocumentationTest::camel).toArray(String[]::new);
                if (!NOT_KEYS.contains("LECTERN_" + env.group(1)) && !resolves(path)) {
                    unknown.add(name(page) + ": LECTERN_" + env.group(1));
                }
            }
        }
        assertThat(unknown).as("keys named in the docs but absent from config/lectern.yaml").isEmpty();
    }

    @Test
    void everyScriptAndBenchmarkTheDocsRunExists() throws IOException {
        Path benches = home.resolve("bench/src/main/java/dev/lectern/bench");
        List<String> missing = new ArrayList<>();
        for (Path page : currentPages()) {
            String text = read(page);
            Matcher bin = BIN.matcher(text);
            while (bin.find()) {
                if (!Files.isExecutable(home.resolve("bin").resolve(bin.group(1)))) {
                    missing.add(name(page) + ": bin/" + bin.group(1));
                }
            }
            Matcher bench = BENCH.matcher(text);
            while (bench.find()) {
                String benchName = bench.group(1);
                boolean exists = benchName.equals("jmh")
                        ? hasJmhBenchmark(benches)
                        : Files.isRegularFile(benches.resolve(benchName + ".java"))
                                && read(benches.resolve(benchName + ".java")).contains("static void main(");
                if (!exists) {
                    missing.add(name(page) + ": bin/bench " + benchName);
                }
            }
        }
        assertThat(missing).as("commands shown in the docs that do not exist").isEmpty();
    }

    @Test
    void everyRelativeLinkReachesAFileAndHeading() throws IOException {
        List<String> broken = new ArrayList<>();
        List<Path> pages = new ArrayList<>(currentPages());
        try (Stream<Path> perf = Files.list(home.resolve("docs/perf"))) {
            perf.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        }
        for (Path page : pages) {
            Matcher link = LINK.matcher(FENCE.matcher(read(page)).replaceAll(""));
            while (link.find()) {
                String target = link.group(1);
                if (target.matches("^[a-z]+:.*")) {
                    continue; // http:, https:, mailto:
                }
                int hash = target.indexOf('#');
                String file = hash < 0 ? target : target.substring(0, hash);
                Path resolved = file.isEmpty() ? page : page.getParent().resolve(file).normalize();
                if (!Files.exists(resolved)) {
                    broken.add(name(page) + ": " + target);
                } else if (hash >= 0 && resolved.toString().endsWith(".md")
                        && !anchors(resolved).contains(target.substring(hash + 1))) {
                    broken.add(name(page) + ": " + target + " (no such heading)");
                }
            }
        }
        assertThat(broken).as("relative links that lead nowhere").isEmpty();
    }

    /** README.md and the pages directly under docs/ (not the measurement history in docs/perf). */
    private List<Path> currentPages() {
        List<Path> pages = new ArrayList<>();
        pages.add(home.resolve("README.md"));
        try (Stream<Path> docs = Files.list(home.resolve("docs"))) {
            docs.filter(p -> p.toString().endsWith(".md")).sorted().forEach(pages::add);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return pages;
    }

    /** A key path exists in the shipped file; below a list (providers, the avatar catalogue) anything goes. */
    private boolean resolves(String[] path) {
        JsonNode node = config;
        for (String part : path) {
            if (node.isArray()) {
                return true;
            }
            node = node.get(part);
            if (node == null) {
                return false;
            }
        }
        return true;
    }

    private static boolean hasJmhBenchmark(Path benches) throws IOException {
        try (Stream<Path> files = Files.walk(benches)) {
            return files.filter(p -> p.toString().endsWith(".java")).anyMatch(p -> read(p).contains("@Benchmark"));
        }
    }

    /** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
    private static Set<String> anchors(Path page) {
        Matcher h = HEADING.matcher(FENCE.matcher(read(page)).replaceAll(""));
        Set<String> anchors = new LinkedHashSet<>();
        while (h.find()) {
            anchors.add(h.group(1).trim().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N}_\\- ]", "")
                    .replace(' ', '-'));
        }
        return anchors;
    }

    private static String camel(String upperSnake) {
        String[] words = upperSnake.toLowerCase(Locale.ROOT).split("_");
        return words[0] + Stream.of(words).skip(1)
                .map(w -> w.isEmpty() ? w : Character.toUpperCase(w.charAt(0)) + w.substring(1))
                .collect(Collectors.joining());
    }

    private String name(Path page) {
        return home.relativize(page).toString();
    }

    private static String read(Path p) {
        try {
            return Files.readString(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
