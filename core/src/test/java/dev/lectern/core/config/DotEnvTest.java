package dev.lectern.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DotEnvTest {
    private static Map<String, String> parse(String text) {
        return DotEnv.parse(text, Map.of());
    }

    @Test
    void readsTheVirtualTutorSeedsEnvAsWritten() {
        // the seed's own .env block (003), inline comments included
        Map<String, String> env = parse("""
                # Flask & Security
                SECRET_KEY=your-super-secret-key-change-in-production
                JWT_ACCESS_TOKEN_EXPIRES=18000  # 5 hours in seconds

                MAIL_DEFAULT_SENDER=TutorNet <your-email@gmail.com>
                WORKER_CLASS=sync             # Worker type (sync/gevent/eventlet)
                """);
        assertThat(env).containsExactly(
                Map.entry("SECRET_KEY", "your-super-secret-key-change-in-production"),
                Map.entry("JWT_ACCESS_TOKEN_EXPIRES", "18000"),
                Map.entry("MAIL_DEFAULT_SENDER", "TutorNet <your-email@gmail.com>"),
                Map.entry("WORKER_CLASS", "sync"));
    }

    @Test
    void quotesExportAndWhitespace() {
        Map<String, String> env = parse("""
                export A=1
                  B = two words  \s
                C='single # not a comment $X ${Y}'
                D="double\\n\\"esc\\" # kept" # a comment
                E=a#b
                F=
                G=""
                BARE
                """);
        assertThat(env).containsEntry("A", "1")
                .containsEntry("B", "two words")
                .containsEntry("C", "single # not a comment $X ${Y}")
                .containsEntry("D", "double\n\"esc\" # kept")
                .containsEntry("E", "a#b")
                .containsEntry("F", "")
                .containsEntry("G", "")
                .doesNotContainKey("BARE");
    }

    @Test
    void quotedValuesSpanLinesAndLineNumbersFollow() {
        Map<String, String> env = parse("KEY=\"-----BEGIN-----\nabc\n-----END-----\"\nNEXT=1\r\nLAST='x'");
        assertThat(env).containsEntry("KEY", "-----BEGIN-----\nabc\n-----END-----")
                .containsEntry("NEXT", "1").containsEntry("LAST", "x");
        assertThatThrownBy(() -> parse("A=\"one\ntwo\"\nB=2\n3rd=x"))
                .isInstanceOf(ConfigException.class).hasMessageContaining("line 4");
    }

    @Test
    void laterLinesWinAndReferencesExpand() {
        Map<String, String> env = DotEnv.parse("""
                HOST=db.internal
                HOST=db2.internal
                DATABASE_URL=postgresql://u@${HOST}/app
                FROM_PROCESS="${HOME_DIR}/x"
                DEFAULTED=${MISSING:-fallback}
                """, Map.of("HOME_DIR", "/srv"));
        assertThat(env).containsEntry("HOST", "db2.internal")
                .containsEntry("DATABASE_URL", "postgresql://u@db2.internal/app")
                .containsEntry("FROM_PROCESS", "/srv/x")
                .containsEntry("DEFAULTED", "fallback");
    }

    @Test
    void malformedLinesNameTheLineButNeverTheValue() {
        assertThatThrownBy(() -> parse("OK=1\nthis is not an assignment s3cret"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("line 2")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> parse("PASSWORD=\"s3cret"))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("PASSWORD")
                .hasMessageContaining("closing")
                .hasMessageNotContaining("s3cret");
        assertThatThrownBy(() -> parse("PASSWORD='s3cret' trailing"))
                .isInstanceOf(ConfigException.class)
                .hasMessageNotContaining("s3cret");
    }

    @Test
    void refusesAHugeFileWithoutReadingItAll(@TempDir Path dir) throws IOException {
        Path big = dir.resolve("big.env");
        byte[] line = "A=aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\n"
                .getBytes(StandardCharsets.US_ASCII);
        try (OutputStream out = Files.newOutputStream(big)) {
            for (long written = 0; written <= 4L * DotEnv.MAX_BYTES; written += line.length) {
                out.write(line);
            }
        }
        assertThatThrownBy(() -> DotEnv.read(big, Map.of()))
                .isInstanceOf(ConfigException.class)
                .hasMessageContaining("larger than " + DotEnv.MAX_BYTES);
    }

    @Test
    void refusesAnExpansionBomb() {
        StringBuilder text = new StringBuilder("A=").append("x".repeat(100_000)).append('\n');
        for (int i = 0; i < 100; i++) {
            text.append("B").append(i).append("=${A}${A}${A}\n");
        }
        assertThatThrownBy(() -> parse(text.toString()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("expand");
    }

    @Test
    void refusesBinaryAndNonUtf8Content(@TempDir Path dir) throws IOException {
        Path binary = dir.resolve("binary.env");
        Files.write(binary, new byte[] {'A', '=', 1, 0, 2, 3});
        assertThatThrownBy(() -> DotEnv.read(binary, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("binary");
        Path latin1 = dir.resolve("latin1.env");
        Files.write(latin1, new byte[] {'A', '=', (byte) 0xE9, '\n'});
        assertThatThrownBy(() -> DotEnv.read(latin1, Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("UTF-8");
        assertThatThrownBy(() -> DotEnv.read(dir.resolve("missing.env"), Map.of()))
                .isInstanceOf(ConfigException.class).hasMessageContaining("not found");
    }

    @Test
    void readsAFileWithAByteOrderMark(@TempDir Path dir) throws IOException {
        Path f = dir.resolve("bom.env");
        Files.writeString(f, "\uFEFFREDIS_URL=redis://localhost:6379\n");
        assertThat(DotEnv.read(f, Map.of())).containsExactly(Map.entry("REDIS_URL", "redis://localhost:6379"));
    }
}
