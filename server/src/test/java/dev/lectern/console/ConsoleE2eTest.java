package dev.lectern.console;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.ai.testing.FakeModelServer;
import dev.lectern.ai.testing.TestAi;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.json.Json;
import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import dev.lectern.testing.TestConfigs;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The web console in a real headless Chromium (tests/js/e2e/console.mjs, playwright-core): one user signs up through
 * the page (the verification code handed over on stdin), a tutor answer streams into it word by word from a fake model
 * upstream and its sentences play, a follow-up fails mid-answer visibly; a document uploaded through the page is listed
 * as indexed, grounds the next answer (the model receives its passage) and is cited under it, refused uploads (415, 413)
 * are shown, and Delete removes it on the server; a second browser context signs in from the
 * shared room link, both with fake cameras reach ICE {@code connected} through Lectern's /ws signaling, chat in the
 * room, and one leaves. A second run checks what the page says on a server without a model or an avatar. Screenshots
 * go to {@code server/target/screenshots} (the README shows copies in {@code docs/screenshots}).
 */
class ConsoleE2eTest {
    private static final String PASSWORD = "Correct-horse-42";
    private static final String QUESTION = "What is a derivative?";
    private static final String FOLLOW_UP = "And an integral?";
    private static final List<String> WORDS = List.of("A", " derivative", " measures", " how", " fast", " a",
            " function", " changes", " at", " a", " point.", " It", " is", " a", " slope.");
    private static final String FACT = "The lighthouse keeper of Varnholm is named Ottilie Brandt.";
    private static final String DOC_QUESTION = "Who is the lighthouse keeper of Varnholm?";
    private static final String DOC_ANSWER = "She is Ottilie Brandt (varnholm-notes.md).";
    private static final int MAX_UPLOAD_BYTES = 200_000;

    /** The shipped text-to-speech section: espeak-ng when installed, else text only. */
    private static final AiConfig.Tts SHIPPED_TTS = TestConfigs.defaults().ai().tts();

    private FakeModelServer upstream;
    private LecternServer server;
    private HttpJson http;

    @BeforeEach
    void checkBrowser() {
        BrowserScript.assumeBrowser();
    }

    /** Lectern with the shipped config (no outside lookups for ICE), these overrides and this AI section. */
    private void start(Map<String, String> overrides, AiConfig ai) {
        Map<String, String> o = new HashMap<>(Map.of(
                "LECTERN_ACCOUNTS__BCRYPT_COST", "4",
                "LECTERN_ICE__STUN_URLS", "")); // loopback host candidates only
        o.putAll(overrides);
        ServerConfig config = TestConfigs.defaults(o);
        server = LecternServer.start(ai == null ? config : config.withAi(ai), Map.of("FAKE_API_KEY", "sk-test"));
        http = new HttpJson(server.httpPort(), Duration.ofSeconds(60));
    }

    @AfterEach
    void stop() {
        if (server != null) {
            server.close();
        }
        if (upstream != null) {
            upstream.close();
        }
    }

    private String code(String email) {
        return server.ephemeralStore().get("code:register:" + email).orElseThrow();
    }

    /** An account made over REST, so that the page can sign in with it. */
    private void existingUser(String email) throws Exception {
        BrowserScript.registerUser(server, http, email, PASSWORD);
    }

    @Test
    void signUpChatUploadsAndAVideoRoomBetweenTwoBrowsers(@TempDir Path dir) throws Exception {
        upstream = new FakeModelServer();
        start(Map.of("LECTERN_UPLOADS__MAX_FILE_BYTES", String.valueOf(MAX_UPLOAD_BYTES)),
                TestAi.withTts(TestAi.config(upstream.baseUrl()), SHIPPED_TTS));
        // The answer comes a word at a time with pauses, so the page can be seen half-way through it.
        upstream.enqueue(ex -> {
            for (String w : WORDS) {
                ex.text(w).pause(120);
            }
            ex.finish("stop").usage(12, WORDS.size()).done();
        });
        upstream.enqueue(ex -> ex.text("Then the").pause(100)
                .raw("data: {\"error\":{\"message\":\"The model fell over\",\"type\":\"server_error\"}}\n\n"));
        upstream.enqueue(FakeModelServer.answer(DOC_ANSWER));
        // What the page uploads: notes holding one fact, a program (refused: 415), and a text over the size limit (413).
        Path doc = Files.writeString(dir.resolve("varnholm-notes.md"), "# Coastal towns\n\nVarnholm lies on a rocky"
                + " spit at the mouth of the fjord. Its harbour freezes most winters.\n\n" + FACT
                + " She has kept the light burning since 1987.\n\nThe town's ferry runs twice a day in summer.\n");
        Path exe = Files.write(dir.resolve("setup.exe"), new byte[] {'M', 'Z', (byte) 0x90, 0, 3, 0, 0, 0});
        Path big = Files.writeString(dir.resolve("huge.txt"), "All work and no play. ".repeat(MAX_UPLOAD_BYTES / 10));
        existingUser("bea@example.com");
        Path shots = TestConfigs.home().resolve("server/target/screenshots");
        String token = http.post("/api/login", Map.of("email", "bea@example.com", "password", PASSWORD), null)
                .text("token");
        boolean spoken = false;
        for (JsonNode engine : http.get("/api/tts/models", token).body()) {
            spoken |= engine.get("status").asText().equals("active");
        }

        JsonNode result = runBrowser(Map.ofEntries(
                Map.entry("LECTERN_URL", "http://127.0.0.1:" + server.httpPort()),
                Map.entry("E2E_SHOTS", shots.toString()),
                Map.entry("E2E_PASSWORD", PASSWORD),
                Map.entry("E2E_NEW_EMAIL", "ada@example.com"),
                Map.entry("E2E_EXISTING_EMAIL", "bea@example.com"),
                Map.entry("E2E_QUESTION", QUESTION),
                Map.entry("E2E_ANSWER", String.join("", WORDS)),
                Map.entry("E2E_SPOKEN_SENTENCES", spoken ? "2" : "0"),
                Map.entry("E2E_FOLLOW_UP", FOLLOW_UP),
                Map.entry("E2E_DOC", doc.toString()),
                Map.entry("E2E_DOC_QUESTION", DOC_QUESTION),
                Map.entry("E2E_BAD_FILE", exe.toString()),
                Map.entry("E2E_BIG_FILE", big.toString())));
        System.out.println("console e2e (speech " + (spoken ? "on" : "off: espeak-ng missing") + "): " + result);

        assertThat(result.get("whoA").asText()).contains("ada@example.com", "student");
        assertThat(result.get("whoB").asText()).contains("bea@example.com");

        String answer = String.join("", WORDS);
        assertThat(result.get("answer").asText()).isEqualTo(answer);
        String partial = result.get("partialWhileStreaming").asText();
        assertThat(answer).startsWith(partial);
        assertThat(partial).isNotEmpty().isNotEqualTo(answer);
        List<String> seen = new ArrayList<>();
        result.get("answerSeen").forEach(s -> seen.add(s.get("text").asText()));
        assertThat(seen).as("the answer grew piece by piece").hasSizeGreaterThanOrEqualTo(4).endsWith(answer);
        for (int i = 1; i < seen.size(); i++) {
            assertThat(seen.get(i)).startsWith(seen.get(i - 1));
        }
        // Each sentence's audio was fetched from the signed same-origin URL (CSP media-src) and played, in turn.
        List<String> audio = new ArrayList<>();
        result.get("audioLog").forEach(e -> audio.add(e.get("ev").asText() + " " + e.get("path").asText()));
        if (spoken) {
            assertThat(audio).hasSize(4).noneMatch(e -> e.startsWith("error"));
            assertThat(audio.get(0)).startsWith("playing /api/objects/tts/");
            assertThat(audio.get(1)).isEqualTo(audio.get(0).replace("playing", "ended"));
            assertThat(audio.get(2)).startsWith("playing /api/objects/tts/").isNotEqualTo(audio.get(0));
            assertThat(audio.get(3)).isEqualTo(audio.get(2).replace("playing", "ended"));
        } else {
            assertThat(audio).isEmpty();
        }
        assertThat(result.get("modelNoticeVisible").asBoolean()).as("a real (fake) model is configured").isFalse();
        JsonNode sent = upstream.requests().get(0).get("messages");
        assertThat(sent.get(sent.size() - 1).get("content").asText()).isEqualTo(QUESTION);
        assertThat(sent.get(0).get("content").asText()).as("the chosen tutor's persona")
                .isNotBlank();

        // The follow-up went out in the same conversation (the page kept the session id); its failure is shown.
        JsonNode followUp = upstream.requests().get(1).get("messages");
        assertThat(followUp).extracting(m -> m.get("role").asText() + ":" + m.get("content").asText())
                .endsWith("user:" + QUESTION, "assistant:" + answer, "user:" + FOLLOW_UP);
        assertThat(result.get("errorAnswerText").asText()).isEqualTo("Then the");
        assertThat(result.get("errorShown").asText()).contains("The model fell over", "upstream_error");

        // The document went up through the page, was listed as indexed, and grounded the answer about its fact: the
        // model received the passage, and the page cites the file (a .md has no pages, so no page number).
        assertThat(result.get("uploaded").get("text").asText()).startsWith("varnholm-notes.md: indexed, ");
        assertThat(result.get("fileStatus").asText()).isEqualTo("indexed");
        assertThat(result.get("fileState").asText()).matches("indexed, [1-9]\\d* passages?");
        assertThat(prompt(upstream.requests().get(2))).contains(FACT).contains("varnholm-notes.md");
        assertThat(upstream.requests().get(2).get("messages").get(upstream.requests().get(2).get("messages").size() - 1)
                .get("content").asText()).isEqualTo(DOC_QUESTION);
        assertThat(result.get("docAnswer").asText()).isEqualTo(DOC_ANSWER);
        assertThat(result.get("citations")).hasSize(1);
        assertThat(result.get("citations").get(0).get("cite").asText()).isEqualTo("varnholm-notes.md");
        assertThat(result.get("citations").get(0).get("passage").asText()).contains(FACT);
        assertThat(result.get("citationsVisible").asBoolean()).isTrue();
        // Refusals are said plainly, and the server kept serving (the list reloaded with the one accepted file).
        assertThat(result.get("refused").get("kind").asText()).isEqualTo("error");
        assertThat(result.get("refused").get("text").asText())
                .startsWith("setup.exe: this type of file is not accepted: unsupported file type; accepted: pdf");
        assertThat(result.get("tooLarge").get("kind").asText()).isEqualTo("error");
        assertThat(result.get("tooLarge").get("text").asText())
                .startsWith("huge.txt: too large: ").endsWith(" exceeds " + MAX_UPLOAD_BYTES + " bytes");
        assertThat(Json.MAPPER.convertValue(result.get("filesAfterRefusals"), List.class))
                .containsExactly("varnholm-notes.md");
        // The delete button removed it on the server too.
        assertThat(result.get("afterDelete").asText()).isEqualTo("varnholm-notes.md is deleted.");
        assertThat(result.get("filesAfterDelete")).isEmpty();
        String ada = http.post("/api/login", Map.of("email", "ada@example.com", "password", PASSWORD), null)
                .text("token");
        assertThat(http.get("/api/user_files", ada).body().get("total").asInt()).isZero();

        for (String side : List.of("stateA", "stateB")) {
            assertThat(result.get(side).get("connection").asText()).as(side).isEqualTo("connected");
            assertThat(result.get(side).get("ice").asText()).as(side).isIn("connected", "completed");
        }
        // the link carries the owner's invite: only the owner and people it invites may join (issue #19 item 10)
        assertThat(result.get("roomLink").asText()).contains("/#invite=")
                .endsWith("&room=" + result.get("roomId").asText());
        assertThat(result.get("linkOpensRoomTab").asText()).isEqualTo("true");
        assertThat(result.get("linkFillsRoomId").asText()).isEqualTo(result.get("roomId").asText());
        assertThat(Json.MAPPER.convertValue(result.get("roomChatA"), List.class)).contains("Hello from B", "Hi B, A here");
        assertThat(Json.MAPPER.convertValue(result.get("roomChatB"), List.class)).contains("Hello from B", "Hi B, A here");
        assertThat(result.get("afterLeave").asText()).contains("left");
        assertThat(result.get("errors")).as("page errors").isEmpty();
        assertThat(result.get("uploadBoxVisible").asBoolean()).isTrue();
        assertThat(result.get("uploadsOffVisible").asBoolean()).isFalse();
        assertThat(Json.MAPPER.convertValue(result.get("failedResponses"), List.class))
                .as("the only refused requests").containsExactly("415 /api/chat/upload", "413 /api/chat/upload");
        assertThat(result.get("avatarNoneVisible").asBoolean()).as("the shipped catalogue has an avatar").isFalse();
        for (String shot : List.of("login.png", "chat.png", "chat-cited.png", "room.png")) {
            assertThat(shots.resolve(shot)).isNotEmptyFile();
        }
    }

    @Test
    void withoutAModelOrAnAvatarThePageSaysSo() throws Exception {
        start(Map.of("LECTERN_AVATARS__CATALOGUE", ""), null); // the shipped AI section: no provider
        existingUser("cy@example.com");
        JsonNode result = runBrowser(Map.of(
                "E2E_MODE", "unconfigured",
                "LECTERN_URL", "http://127.0.0.1:" + server.httpPort(),
                "E2E_SHOTS", TestConfigs.home().resolve("server/target/screenshots").toString(),
                "E2E_PASSWORD", PASSWORD,
                "E2E_EXISTING_EMAIL", "cy@example.com",
                "E2E_QUESTION", QUESTION));

        assertThat(result.get("modelNotice").asText()).contains("No language model is configured", "ai.providers");
        assertThat(result.get("offlineAnswer").asText()).as("the offline provider's own answer").isNotBlank();
        assertThat(result.get("offlineNote").asText()).contains("Offline provider");
        assertThat(result.get("avatarNone").asText()).contains("No avatar is configured", "config/lectern.yaml");
        assertThat(result.get("avatarFormVisible").asBoolean()).isFalse();
        assertThat(result.get("errors")).as("page errors").isEmpty();
    }

    /** Every message the model was sent, one a line. */
    private static String prompt(JsonNode modelRequest) {
        StringBuilder b = new StringBuilder();
        modelRequest.get("messages").forEach(m -> b.append(m.get("content").asText()).append('\n'));
        return b.toString();
    }

    private JsonNode runBrowser(Map<String, String> env) throws Exception {
        return BrowserScript.run("console.mjs", env, this::code);
    }
}
