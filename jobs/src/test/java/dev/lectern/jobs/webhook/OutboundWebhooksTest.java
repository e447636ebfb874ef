package dev.lectern.jobs.webhook;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.sun.net.httpserver.HttpServer;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.jobs.JobEngine;
import dev.lectern.jobs.KindOptions;
import dev.lectern.jobs.NewJob;
import dev.lectern.testing.TestConfigs;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.atomic.AtomicInteger;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.Dsl;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Job state changes reach a real HTTP receiver, signed so that a Standard Webhooks verifier accepts them. */
class OutboundWebhooksTest {
    private static final String SECRET = "whsec_" + java.util.Base64.getEncoder().encodeToString(
            "a receiver's shared secret!!".getBytes(java.nio.charset.StandardCharsets.UTF_8));

    record Received(String id, String type, String jobId, boolean valid) {}

    @TempDir
    Path data;

    private HttpServer receiver;
    private final ConcurrentLinkedQueue<Received> received = new ConcurrentLinkedQueue<>();
    private final AtomicInteger failuresLeft = new AtomicInteger();
    private volatile int failWith = 500;
    private SqlDatabase db;
    private JobEngine engine;
    private AsyncHttpClient http;
    private OutboundWebhooks webhooks;

    @BeforeEach
    void start() throws Exception {
        SignedRequestVerifier verifier = new SignedRequestVerifier(List.of(SECRET), 300, System::currentTimeMillis);
        receiver = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        receiver.createContext("/hook", exchange -> {
            byte[] body = exchange.getRequestBody().readAllBytes();
            Map<String, String> h = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
            exchange.getRequestHeaders().forEach((k, v) -> h.put(k, v.get(0)));
            Verification v = verifier.verify(h::get, body);
            var json = dev.lectern.core.json.Json.MAPPER.readTree(body);
            int status = failuresLeft.getAndDecrement() > 0 ? failWith : 204;
            if (status == 204) {
                received.add(new Received(h.get("webhook-id"), json.path("type").asText(),
                        json.path("data").path("id").asText(), v.valid()));
            }
            exchange.sendResponseHeaders(status, -1);
            exchange.close();
        });
        receiver.start();
        db = new SqlDatabase(TestConfigs.defaults(Map.of("LECTERN_STORAGE__DATA_DIR", data.toString())).storage(),
                null);
        Map<String, String> env = new HashMap<>();
        env.put("LECTERN_JOBS__HEARTBEAT_MILLIS", "100");
        env.put("LECTERN_JOBS__LEASE_MILLIS", "2000");
        engine = new JobEngine(db, TestConfigs.defaults(env).jobs(), null, new SimpleMeterRegistry(), "hooks");
        http = Dsl.asyncHttpClient();
        String endpoint = "http://127.0.0.1:" + receiver.getAddress().getPort() + "/hook";
        webhooks = new OutboundWebhooks(db, engine, List.of(endpoint), SECRET, http, Duration.ofSeconds(5), 4,
                KindOptions.DEFAULTS.withBackoff(20, 50));
        engine.register("test.work", KindOptions.DEFAULTS, ctx -> "{\"ok\":true}");
        engine.start();
    }

    @AfterEach
    void stop() throws Exception {
        engine.close();
        http.close();
        db.close();
        receiver.stop(0);
    }

    @Test
    void everyStateChangeArrivesSignedAndIsLogged() {
        String job = engine.enqueue(NewJob.of("test.work", "{}")).id();
        await().atMost(Duration.ofSeconds(30)).until(() -> received.size() >= 3);
        assertThat(received).allSatisfy(r -> assertThat(r.valid()).isTrue());
        assertThat(received.stream().filter(r -> r.jobId().equals(job)).map(Received::type))
                .containsExactlyInAnyOrder("job.pending", "job.started", "job.success");
        await().atMost(Duration.ofSeconds(30)).until(() -> webhooks.log(job, 10, 0).stream()
                .allMatch(d -> d.status().equals("DELIVERED")));
        assertThat(webhooks.log(job, 10, 0)).hasSize(3).allSatisfy(d -> {
            assertThat(d.attempts()).isEqualTo(1);
            assertThat(d.lastStatusCode()).isEqualTo(204);
        });
        assertThat(webhooks.log(null, 10, 0)).hasSize(3); // deliveries themselves send nothing
    }

    @Test
    void aFailingReceiverGetsRetriesThenTheMessageOnceItRecovers() {
        failuresLeft.set(2);
        String job = engine.enqueue(NewJob.of("test.work", "{}").runAt(System.currentTimeMillis() + 60_000)).id();
        await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 1);
        WebhookDelivery d = webhooks.log(job, 10, 0).get(0);
        await().atMost(Duration.ofSeconds(30)).until(() -> webhooks.find(d.id()).orElseThrow().status()
                .equals("DELIVERED"));
        assertThat(webhooks.find(d.id()).orElseThrow().attempts()).isEqualTo(3);
        assertThat(received.peek().id()).isEqualTo(d.id());
    }

    @Test
    void goneStopsAtOnceAndARedeliveryKeepsTheWebhookId() {
        failWith = 410;
        failuresLeft.set(1);
        String job = engine.enqueue(NewJob.of("test.work", "{}").runAt(System.currentTimeMillis() + 60_000)).id();
        await().atMost(Duration.ofSeconds(30)).until(() -> !webhooks.log(job, 10, 0).isEmpty()
                && webhooks.log(job, 10, 0).get(0).status().equals("FAILED"));
        WebhookDelivery failed = webhooks.log(job, 10, 0).get(0);
        assertThat(failed.attempts()).isEqualTo(1);
        assertThat(failed.lastStatusCode()).isEqualTo(410);
        assertThat(received).isEmpty();

        assertThat(webhooks.redeliver(failed.id())).isPresent();
        await().atMost(Duration.ofSeconds(30)).until(() -> received.size() == 1);
        assertThat(received.peek().id()).isEqualTo(failed.id());
        assertThat(received.peek().valid()).isTrue();
        assertThat(webhooks.redeliver("msg_none")).isEmpty();
    }
}
