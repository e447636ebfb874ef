package dev.lectern.ai.tts;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import dev.lectern.ai.chat.UsageMeter;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.ai.testing.FakeTtsServer;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.store.InMemoryEphemeralStore;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Arrays;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.Dsl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The TTS clients against fake endpoints and the real espeak-ng, and the speech service's budget. */
class SpeechServiceIntegrationTest {
    private final ExecutorService blocking = Executors.newFixedThreadPool(2);
    private final InMemoryEphemeralStore ephemeral = new InMemoryEphemeralStore();
    private FakeTtsServer fake;
    private AsyncHttpClient http;
    private LocalObjectStore objects;

    @TempDir
    Path dir;

    @BeforeEach
    void setUp() throws Exception {
        fake = new FakeTtsServer();
        http = Dsl.asyncHttpClient(Dsl.config().setIoThreadsCount(1));
        objects = new LocalObjectStore(dir.resolve("objects"), new UrlSigner(new byte[32]), "/api/objects/",
                Clock.systemUTC());
    }

    @AfterEach
    void tearDown() throws Exception {
        http.close();
        fake.close();
        blocking.shutdownNow();
        ephemeral.close();
    }

    private static Optional<Secret> key() {
        return Optional.of(new Secret("TTS_KEY", "tts-secret"));
    }

    @Test
    void openAiCompatibleSpeech() throws Exception {
        HttpTts tts = HttpTts.openAi(fake.baseUrl() + "/v1", "tts-1", "nova", key(), http, Duration.ofSeconds(10));
        assertThat(tts.synthesize("Hello there.").get()).isEqualTo(FakeTtsServer.AUDIO);
        FakeTtsServer.Call c = fake.calls.get(0);
        assertThat(c.path()).isEqualTo("/v1/audio/speech");
        assertThat(c.headers().get("Authorization")).containsExactly("Bearer tts-secret");
        assertThat(c.body().get("input").asText()).isEqualTo("Hello there.");
        assertThat(c.body().get("voice").asText()).isEqualTo("nova");
        assertThat(c.body().get("model").asText()).isEqualTo("tts-1");
        assertThat(c.body().get("response_format").asText()).isEqualTo("mp3");
    }

    @Test
    void elevenLabsStream() throws Exception {
        HttpTts tts = HttpTts.elevenLabs(fake.baseUrl(), "", "voice123", key(), http, Duration.ofSeconds(10));
        assertThat(tts.synthesize("Hi.").get()).isEqualTo(FakeTtsServer.AUDIO);
        FakeTtsServer.Call c = fake.calls.get(0);
        assertThat(c.path()).isEqualTo("/v1/text-to-speech/voice123/stream");
        assertThat(c.query()).isEqualTo("output_format=mp3_44100_128");
        assertThat(c.headers().get("Xi-api-key")).containsExactly("tts-secret");
        assertThat(c.body().get("text").asText()).isEqualTo("Hi.");
        assertThat(c.body().get("model_id").asText()).isEqualTo("eleven_flash_v2_5");
    }

    @Test
    void anHttpErrorFailsTheSentenceOnly() throws Exception {
        fake.status = 401;
        HttpTts tts = HttpTts.openAi(fake.baseUrl() + "/v1", "", "", key(), http, Duration.ofSeconds(10));
        assertThatThrownBy(() -> tts.synthesize("x").get()).isInstanceOf(ExecutionException.class)
                .hasRootCauseInstanceOf(TtsException.class);
        SpeechService s = new SpeechService(tts, objects, new UsageMeter(ephemeral, new AiConfig.Usage(60, 0, 0)),
                blocking, Duration.ofMinutes(1), 1000);
        SpeechService.Outcome o = s.speak("u1", "x").get();
        assertThat(o.url()).isEmpty();
        assertThat(o.overBudget()).isFalse();
    }

    @Test
    void speechIsStoredAndSignedUntilTheBudgetRunsOut() throws Exception {
        HttpTts tts = HttpTts.openAi(fake.baseUrl() + "/v1", "", "", key(), http, Duration.ofSeconds(10));
        SpeechService s = new SpeechService(tts, objects, new UsageMeter(ephemeral, new AiConfig.Usage(60, 0, 20)),
                blocking, Duration.ofMinutes(1), 1000);
        SpeechService.Outcome first = s.speak("u1", "Twelve chars").get();
        assertThat(first.url()).get().asString().startsWith("/api/objects/tts/").contains(".mp3?expires=");
        String key = first.url().get().substring("/api/objects/".length(), first.url().get().indexOf('?'));
        assertThat(objects.get(key)).get().isEqualTo(FakeTtsServer.AUDIO);
        SpeechService.Outcome second = s.speak("u1", "Twelve again").get();
        assertThat(second.url()).isEmpty();
        assertThat(second.overBudget()).isTrue();
        assertThat(fake.calls).hasSize(1);
        assertThat(s.speak("u2", "Other user").get().url()).isPresent();
    }

    @Test
    void espeakWhenInstalled() throws Exception {
        assumeTrue(EspeakTts.available("espeak-ng"), "espeak-ng is not installed (apt-get install espeak-ng)");
        byte[] wav = new EspeakTts("espeak-ng", "", blocking, 10_000).synthesize("-v Hello; rm -rf /").get();
        assertThat(new String(Arrays.copyOfRange(wav, 0, 4), StandardCharsets.US_ASCII)).isEqualTo("RIFF");
        assertThat(wav.length).isGreaterThan(1000);
    }

    @Test
    void aMissingBinaryIsNotAvailable() {
        assertThat(EspeakTts.available("espeak-ng-that-does-not-exist")).isFalse();
    }
}
