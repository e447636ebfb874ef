package dev.lectern.bench;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.lectern.core.json.Json;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The voice path of a chat turn, end to end: {@code bin/bench VoiceLatency [--conversations 100] [--rounds 5]
 * [--spreadMillis 1000] [--warmupRounds 30] [--tokenMillis 20] [--tts fake|espeak] [--ttsFirstByteMs 150]
 * [--ttsChunkMs 40] [--ttsChunks 10] [--avatar on|off]}.
 *
 * <p>{@code --spreadMillis} spreads a round's conversation starts evenly over that many milliseconds: 100
 * conversations in flight at once, whose turns arrive as a stream (0: all in the same instant, the stress case);
 * {@code --warmupRounds} full rounds per node run unmeasured before the measured ones. The default 30 (about three
 * minutes) is what it takes on two busy cores for the JIT to settle: with 10, the compiler still took a quarter of the
 * node's CPU in the measured rounds (8% after 30), and the p99s measured its queue.
 *
 * <p>With {@code --avatar on} (the default) each conversation's user ({@code voice-<slot>}, the same user in every
 * round) first starts the avatar {@code bench} on each node, whose local avatar manager launches a LiveTalking
 * stand-in ({@code BenchLiveTalking}, one process per node shared by all users through the max-users-per-instance
 * setting), and registers a LiveTalking session id; the stand-in reports when each turn's first sentence arrived as
 * {@code POST /human} (in its own process, {@link System#nanoTime} is CLOCK_MONOTONIC like ours, sent back over a
 * socket), and the hop model sentence written → avatar {@code /human} in is reported with the others.
 *
 * <p>With {@code --tts fake} (the default) the speech comes from an OpenAI-compatible TTS in this JVM paced like a
 * cloud provider (first byte {@code ttsFirstByteMs} after the request, then {@code ttsChunks} chunks every
 * {@code ttsChunkMs}); it notes when each sentence's request arrived and when it wrote the first byte, so that what
 * Lectern adds is reported per hop, over all turns: model sentence written → TTS request in; TTS first byte out →
 * {@code audio} event at the client; request → first {@code streaming} event, minus the model's own time to its first
 * token; and the student's time to first audio minus the provider's own first-byte time. With {@code --tts espeak}
 * the nodes speak with the real espeak-ng (the older comparison below).
 *
 * <p>A fake OpenAI-compatible model in this JVM streams a three-sentence answer, one word every {@code tokenMillis}
 * over a real socket, and notes when it wrote the end of the first sentence. Two Lectern nodes, each in its own JVM
 * with real espeak-ng, differ only in {@code ai.tts.streaming}: on, a sentence's audio URL goes out with espeak-ng's
 * first bytes and serves the clip as it grows; off (the old path), once the whole clip is stored. Each round runs
 * {@code conversations} concurrent turns (each its own user) against one node, then the other, alternating which goes
 * first. Each conversation is a new chat's turn, then a follow-up in the same session. Per turn, client-side: request
 * → first SSE byte (the response head and {@code started} event); request → the
 * model asked (what Lectern does before the model); request → first text event; first sentence written by the model →
 * first byte of its audio playable: in the {@code audio} event when it carries the clip's first bytes, else read at
 * its URL (read in both cases, as a browser does). Printed per round (p50/p99/max) and summarised over rounds
 * (median of the rounds' p50s, and their spread), with the old/new ratio of the time to first audio byte.
 */
public final class VoiceLatency {
    /** The answer; its first sentence names the turn, so that the fake TTS knows whose sentence it speaks. */
    private static final String ANSWER = "In turn %d the derivative measures how fast a quantity changes over time."
            + " It is the slope of the tangent line at a point. We write it as f prime of x, and it is itself a"
            + " function.";
    private static final Pattern TURN = Pattern.compile("turn-(\\d+)");
    private static final long FOLLOW_UP = 1_000_000_000L; // the follow-up's turn id in the fake model's log
    private static final ExecutorService AUDIO_READERS = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "bench-audio-reader");
        t.setDaemon(true);
        return t;
    });

    private VoiceLatency() {}

    public static void main(String[] args) throws Exception {
        FakeProviders.answerWithoutNagle();
        Map<String, String> opts = options(args);
        boolean fakeTts = !opts.getOrDefault("tts", "fake").equals("espeak");
        int conversations = Integer.parseInt(opts.getOrDefault("conversations", fakeTts ? "100" : "10"));
        int rounds = Integer.parseInt(opts.getOrDefault("rounds", "5"));
        int tokenMillis = Integer.parseInt(opts.getOrDefault("tokenMillis", "20"));
        boolean avatar = !opts.getOrDefault("avatar", "on").equals("off");
        int spreadMillis = Integer.parseInt(opts.getOrDefault("spreadMillis", "1000"));
        int warmupRounds = Integer.parseInt(opts.getOrDefault("warmupRounds", "30"));
        try (PacedModel model = new PacedModel(tokenMillis);
             PacedTts tts = new PacedTts(Integer.parseInt(opts.getOrDefault("ttsFirstByteMs", "150")),
                     Integer.parseInt(opts.getOrDefault("ttsChunkMs", "40")),
                     Integer.parseInt(opts.getOrDefault("ttsChunks", "10")));
             AvatarReports avatars = new AvatarReports()) {
            String base = "http://127.0.0.1:" + model.port() + "/v1";
            String ttsBase = fakeTts ? "http://127.0.0.1:" + tts.port() + "/v1" : "";
            int ports = avatar ? AvatarProxyBench.freePortBlock() : 0; // ten free ports: five per node
            Process streamed = start(base, true, ttsBase, avatar ? ports : 0, avatars, conversations);
            Process whole = start(base, false, ttsBase, avatar ? ports + 5 : 0, avatars, conversations);
            try {
                Node[] nodes = {new Node("streamed", ChatGatewayBench.awaitPort(streamed), streamed),
                        new Node("whole-clip", ChatGatewayBench.awaitPort(whole), whole)};
                HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
                        .executor(Executors.newCachedThreadPool(r -> {
                            Thread t = new Thread(r, "bench-client");
                            t.setDaemon(true);
                            return t;
                        })).connectTimeout(Duration.ofSeconds(10)).build();
                System.out.printf(Locale.ROOT, "voice latency: %d concurrent conversations per round (%s), %d rounds"
                        + " after %d warm-up round(s), a word every %d ms; %s; servers in their own JVMs; %d cores%n",
                        conversations, spreadMillis == 0 ? "all starting at once"
                                : "starts spread evenly over " + spreadMillis + " ms", rounds, warmupRounds,
                        tokenMillis, fakeTts ? "a paced OpenAI-compatible TTS (" + tts.describe() + ")"
                                : "real espeak-ng", Runtime.getRuntime().availableProcessors());
                AtomicLong turnIds = new AtomicLong();
                Reports reports = new Reports(model, tts, avatar ? avatars : null);
                if (avatar) {
                    for (Node n : nodes) {
                        startAvatars(http, n.port, conversations);
                    }
                    System.out.printf(Locale.ROOT, "each user has a ready avatar instance (LiveTalking stand-in,"
                            + " %d users per instance) and a LiveTalking session id%n", conversations);
                }
                for (Node n : nodes) { // warm-up: JIT, connection pools, espeak-ng's data in the page cache
                    runRound(http, reports, n, Math.min(conversations, 4), 0, turnIds);
                }
                for (int w = 0; w < warmupRounds; w++) { // the whole load, not measured: a server runs warm
                    for (Node n : nodes) {
                        runRound(http, reports, n, conversations, spreadMillis, turnIds);
                    }
                }
                for (int r = 0; r < rounds; r++) {
                    for (int k = 0; k < nodes.length; k++) {
                        Node n = nodes[(r + k) % nodes.length];
                        long cpuBefore = n.cpuNanos();
                        List<TurnTimes> times = runRound(http, reports, n, conversations, spreadMillis, turnIds);
                        n.add(times);
                        n.cpu(n.cpuNanos() - cpuBefore, 2L * times.size()); // a new chat and its follow-up each
                        System.out.printf(Locale.ROOT, "round %d %-10s %s%n", r + 1, n.name, TurnTimes.line(times));
                    }
                }
                summary(nodes, fakeTts, avatar);
                for (Node n : nodes) {
                    System.out.printf(Locale.ROOT, "%-10s server-side request parsed -> stream head and first event"
                            + " handed to the connection (lectern.chat.start.latency, last minutes): %s%n", n.name,
                            nodeTimer(http, n.port, "lectern_chat_start_latency_seconds"));
                    // Lectern's own part of "request -> first streaming event, minus the model's first token", as
                    // the node measures it: without the client's and the fake model's own HTTP stacks
                    System.out.printf(Locale.ROOT, "%-10s server-side request parsed -> the model's request handed to"
                            + " its connection (lectern.chat.ask.latency): %s; a model chunk in -> its event on the"
                            + " client's socket (lectern.chat.gateway.latency): %s%n", n.name,
                            nodeTimer(http, n.port, "lectern_chat_ask_latency_seconds"),
                            nodeHistogram(http, n.port, "lectern_chat_gateway_latency_seconds"));
                    System.out.printf(Locale.ROOT, "%-10s server-side request in -> first streaming event out, minus"
                            + " the model's first-token time (lectern.chat.first.text.added, last minutes): %s%n",
                            n.name, nodeTimer(http, n.port, "lectern_chat_first_text_added_seconds"));
                }
            } finally {
                stop(streamed);
                stop(whole);
            }
        }
        System.exit(0);
    }

    private static Map<String, String> options(String[] args) {
        Map<String, String> out = new LinkedHashMap<>();
        for (int i = 0; i + 1 < args.length; i += 2) {
            if (!args[i].startsWith("--")) {
                throw new IllegalArgumentException("usage: VoiceLatency [--conversations N] [--rounds N]"
                        + " [--spreadMillis N] [--warmupRounds N] [--tokenMillis N] [--tts fake|espeak]"
                        + " [--ttsFirstByteMs N] [--ttsChunkMs N] [--ttsChunks N] [--avatar on|off]");
            }
            out.put(args[i].substring(2), args[i + 1]);
        }
        return out;
    }

    private static Process start(String base, boolean streaming, String ttsBase, int avatarPorts,
                                 AvatarReports avatars, int maxUsers) throws IOException {
        List<String> args = new ArrayList<>(List.of(base, Boolean.toString(streaming), ttsBase));
        if (avatarPorts > 0) {
            args.addAll(List.of(Integer.toString(avatarPorts), Integer.toString(avatarPorts + 4),
                    Integer.toString(avatars.port()), Integer.toString(Math.max(1, maxUsers))));
        }
        return new ProcessBuilder(ServerJvm.command("1g", VoiceLatencyNode.class.getName(),
                args.toArray(String[]::new))).redirectError(ProcessBuilder.Redirect.DISCARD).start();
    }

    /**
     * Each conversation slot's user ({@code voice-<slot>}) starts the avatar {@code bench} (the first start launches
     * the shared instance and waits until it is ready) and registers a LiveTalking session id, as the browser does
     * once its WebRTC offer is answered.
     */
    private static void startAvatars(HttpClient http, int port, int users) throws Exception {
        for (int slot = 0; slot < users; slot++) {
            post(http, port, "/api/avatar/start", user(slot), Map.of("avatar_name", "bench"));
            post(http, port, "/api/sessionid", user(slot), Map.of("sessionid", 100_000 + slot));
        }
    }

    private static void post(HttpClient http, int port, String path, String user, Map<String, Object> body)
            throws Exception {
        HttpResponse<String> r = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofMinutes(3)).header("Authorization", "Bearer " + user)
                .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(Json.write(body)))
                .build(), HttpResponse.BodyHandlers.ofString());
        if (r.statusCode() / 100 != 2) {
            throw new IllegalStateException(path + " answered " + r.statusCode() + ": " + r.body());
        }
    }

    private static String user(int slot) {
        return "voice-" + slot;
    }

    /** Where a turn's times are read once it is over: the fakes' logs. */
    private record Reports(PacedModel model, PacedTts tts, AvatarReports avatars) {}

    private static void stop(Process node) throws InterruptedException {
        try {
            node.getOutputStream().close();
        } catch (IOException ignored) {
            // already gone
        }
        if (!node.waitFor(20, TimeUnit.SECONDS)) {
            node.destroyForcibly();
        }
    }

    /**
     * One round: {@code conversations} conversations, each a new chat's turn then a follow-up. With
     * {@code spreadMillis} 0 they all start in the same instant (a burst: every first sentence, TTS request and avatar
     * call of the round lands in the same few milliseconds); else conversation {@code i} starts
     * {@code i * spreadMillis / conversations} ms into the round, so that as many conversations are in flight at once
     * but their events arrive as a steady stream, as from users who did not all press enter together.
     */
    private static List<TurnTimes> runRound(HttpClient http, Reports reports, Node node, int conversations,
                                            int spreadMillis, AtomicLong turnIds) {
        List<CompletableFuture<TurnTimes>> turns = new ArrayList<>();
        ExecutorService clients = Executors.newFixedThreadPool(conversations);
        long start = System.nanoTime();
        try {
            for (int i = 0; i < conversations; i++) {
                long id = turnIds.incrementAndGet();
                String user = user(i);
                long at = start + TimeUnit.MILLISECONDS.toNanos((long) i * spreadMillis / conversations);
                turns.add(CompletableFuture.supplyAsync(() -> {
                    long wait = at - System.nanoTime();
                    if (wait > 0) {
                        java.util.concurrent.locks.LockSupport.parkNanos(wait);
                    }
                    return turn(http, reports, node.port, id, user);
                }, clients));
            }
            return turns.stream().map(CompletableFuture::join).toList();
        } finally {
            clients.shutdownNow();
        }
    }

    /** A new chat's first turn, then a follow-up in the same session; timed from this side. */
    private static TurnTimes turn(HttpClient http, Reports reports, int port, long id, String user) {
        TurnTimes first = turn(http, reports, port, id, user, null);
        TurnTimes next = turn(http, reports, port, id + FOLLOW_UP, user, first.sessionId);
        return first.withFollowUp(next);
    }

    private static TurnTimes turn(HttpClient http, Reports reports, int port, long id, String user,
                                  String sessionId) {
        try {
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("message", "turn-" + id + ": what is a derivative?");
            if (sessionId != null) {
                request.put("session_id", sessionId);
            }
            String body = Json.write(request);
            long sent = System.nanoTime();
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(
                            URI.create("http://127.0.0.1:" + port + "/api/chat/stream"))
                    .header("Authorization", "Bearer " + user).header("Content-Type", "application/json")
                    .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofInputStream());
            if (r.statusCode() != 200) {
                throw new IllegalStateException("chat stream answered " + r.statusCode());
            }
            long head = System.nanoTime();
            long firstText = 0;
            long audioEvent = 0;
            boolean inline = false;
            String session = null;
            CompletableFuture<Long> firstAudio = null;
            try (BufferedReader in = new BufferedReader(new InputStreamReader(r.body(), StandardCharsets.UTF_8))) {
                String line;
                while ((line = in.readLine()) != null) {
                    if (!line.startsWith("data: ")) {
                        continue;
                    }
                    JsonNode e = Json.MAPPER.readTree(line.substring(6));
                    String status = e.get("status").asText();
                    if (status.equals("streaming") && firstText == 0) {
                        firstText = System.nanoTime();
                    } else if (status.equals("audio") && e.get("index").asInt() == 0) {
                        audioEvent = System.nanoTime();
                        // the clip's first bytes in the event: playable now (the URL is still read, as a browser does)
                        inline = e.hasNonNull("audio_data") && !e.get("audio_data").asText().isEmpty();
                        String url = e.get("audio_url").asText();
                        // its own thread: the clip's transfer lasts as long as synthesis when it streams
                        firstAudio = CompletableFuture.supplyAsync(() -> firstByte(http, port, url), AUDIO_READERS);
                    } else if (status.equals("complete") || status.equals("error")) {
                        if (status.equals("error")) {
                            throw new IllegalStateException("turn failed: " + e);
                        }
                        session = e.get("session_id").asText();
                        break;
                    }
                }
            }
            // no audio event (the node's TTS call failed: text only): the audio figures are missing (-1), counted
            long fetched = firstAudio == null ? -1 : firstAudio.join();
            long audio = fetched < 0 ? -1 : inline ? Math.min(audioEvent, fetched) : fetched;
            PacedModel.Times m = reports.model().times(id);
            PacedTts.Times t = audio < 0 ? null : reports.tts().times(id);
            long human = reports.avatars() == null ? 0 : reports.avatars().arrival(id);
            long modelFirstToken = m.firstToken() - m.asked();
            return new TurnTimes(head - sent, m.asked() - sent, firstText - sent,
                    audio < 0 ? -1 : audio - m.firstSentence(), session,
                    0, 0, (firstText - sent) - modelFirstToken,
                    t == null ? -1 : t.arrived() - m.firstSentence(),
                    t == null ? -1 : audioEvent - t.firstByte(),
                    t == null ? -1 : (audio - m.firstSentence()) - (t.firstByte() - t.arrived()),
                    human == 0 ? 0 : human - m.firstSentence());
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** When the first byte of the body at {@code url} could be read. */
    private static long firstByte(HttpClient http, int port, String url) {
        try {
            HttpResponse<InputStream> r = http.send(HttpRequest.newBuilder(
                    URI.create("http://127.0.0.1:" + port + url)).build(), HttpResponse.BodyHandlers.ofInputStream());
            try (InputStream in = r.body()) {
                if (r.statusCode() != 200 || in.read() < 0) {
                    throw new IllegalStateException("audio URL answered " + r.statusCode());
                }
                long at = System.nanoTime();
                in.transferTo(OutputStream.nullOutputStream());
                return at;
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    private static void summary(Node[] nodes, boolean fakeTts, boolean avatar) {
        System.out.println();
        System.out.println("summary: median of the rounds' p50 [spread: min-max of the rounds' p50], ms");
        for (Node n : nodes) {
            System.out.printf(Locale.ROOT, "%-10s new chat: head %s  model asked %s  first text %s  first audio byte %s"
                            + "  (p99 over all turns: head %s, first audio %s)%n", n.name,
                    n.summary(TurnTimes::headNanos), n.summary(TurnTimes::askedNanos),
                    n.summary(TurnTimes::textNanos), n.summary(TurnTimes::audioNanos),
                    ms(n.allQuantile(TurnTimes::headNanos, 0.99)), ms(n.allQuantile(TurnTimes::audioNanos, 0.99)));
            System.out.printf(Locale.ROOT, "%-10s follow-up: head %s  model asked %s  (p99 over all turns: head %s)%n",
                    n.name, n.summary(TurnTimes::followHeadNanos), n.summary(TurnTimes::followAskedNanos),
                    ms(n.allQuantile(TurnTimes::followHeadNanos, 0.99)));
        }
        if (fakeTts) {
            System.out.println();
            System.out.println("what Lectern adds, per hop, over all turns of all rounds: p50 / p99 / max, ms");
            for (Node n : nodes) {
                System.out.printf(Locale.ROOT, "%-10s request -> first streaming event, minus the model's first-token"
                        + " time: %s%n", n.name, n.all(TurnTimes::startAddedNanos));
                System.out.printf(Locale.ROOT, "%-10s model sentence written -> TTS request in: %s%n", n.name,
                        n.all(TurnTimes::ttsRequestNanos));
                System.out.printf(Locale.ROOT, "%-10s TTS first byte out -> audio event at the client: %s%n", n.name,
                        n.all(TurnTimes::audioEventNanos));
                System.out.printf(Locale.ROOT, "%-10s first audio byte at the client, beyond the provider's own"
                        + " first-byte time: %s%n", n.name, n.all(TurnTimes::audioAddedNanos));
            }
        }
        if (avatar) {
            for (Node n : nodes) {
                System.out.printf(Locale.ROOT, "%-10s model sentence written -> avatar /human in: %s%n", n.name,
                        n.all(TurnTimes::avatarNanos));
            }
        }
        for (Node n : nodes) {
            System.out.printf(Locale.ROOT, "%-10s node CPU per chat turn (its whole JVM, median [spread] of the"
                    + " rounds): %s ms%n", n.name, n.cpuSummary());
        }
        double streamed = nodes[0].medianOfP50(TurnTimes::audioNanos);
        double whole = nodes[1].medianOfP50(TurnTimes::audioNanos);
        System.out.printf(Locale.ROOT, "first sentence written -> first audio byte: whole-clip / streamed = %.2f"
                + " (per round: %s)%n", whole / streamed, nodes[0].ratios(nodes[1], TurnTimes::audioNanos));
    }

    /** The quantiles a node's Prometheus scrape gives for the timer {@code metric} (e.g. p50 and p99). */
    private static String nodeTimer(HttpClient http, int port, String metric) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        StringBuilder out = new StringBuilder();
        for (String line : body.split("\n")) {
            if (line.startsWith(metric + "{") && line.contains("quantile=\"")) {
                int at = line.indexOf("quantile=\"") + 10;
                String q = line.substring(at, line.indexOf('"', at));
                double seconds = Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
                out.append("p").append(Math.round(Double.parseDouble(q) * 100)).append(' ')
                        .append(ms(seconds * 1e9)).append(" ms  ");
            }
        }
        return out.toString().strip();
    }

    /**
     * p50 and p99 of a node's timer that Prometheus gets as a histogram ({@code metric_bucket{le=…}}), as the upper
     * bounds of the buckets they fall in.
     */
    private static String nodeHistogram(HttpClient http, int port, String metric) throws Exception {
        String body = http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/metrics")).build(),
                HttpResponse.BodyHandlers.ofString()).body();
        List<double[]> buckets = new ArrayList<>(); // {upper bound in seconds, cumulative count}
        for (String line : body.split("\n")) {
            if (line.startsWith(metric + "_bucket{")) {
                int at = line.indexOf("le=\"") + 4;
                String le = line.substring(at, line.indexOf('"', at));
                buckets.add(new double[] {le.equals("+Inf") ? Double.POSITIVE_INFINITY : Double.parseDouble(le),
                        Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1))});
            }
        }
        if (buckets.isEmpty()) {
            return "not found";
        }
        buckets.sort((a, b) -> Double.compare(a[0], b[0]));
        double total = buckets.get(buckets.size() - 1)[1];
        StringBuilder out = new StringBuilder();
        for (double q : new double[] {0.5, 0.99}) {
            for (double[] b : buckets) {
                if (b[1] >= q * total) {
                    out.append("p").append(Math.round(q * 100)).append(" <= ").append(ms(b[0] * 1e9)).append(" ms  ");
                    break;
                }
            }
        }
        return out.append("(since start)").toString();
    }

    static String ms(double nanos) {
        return String.format(Locale.ROOT, "%.2f", nanos / 1e6);
    }

    /**
     * One turn's times, in nanoseconds from the request (or from the first sentence, for the audio), and the hops
     * Lectern adds (zero without the fake TTS).
     */
    record TurnTimes(long headNanos, long askedNanos, long textNanos, long audioNanos, String sessionId,
                     long followHeadNanos, long followAskedNanos, long startAddedNanos, long ttsRequestNanos,
                     long audioEventNanos, long audioAddedNanos, long avatarNanos) {
        TurnTimes withFollowUp(TurnTimes next) {
            return new TurnTimes(headNanos, askedNanos, textNanos, audioNanos, null, next.headNanos, next.askedNanos,
                    startAddedNanos, ttsRequestNanos, audioEventNanos, audioAddedNanos, avatarNanos);
        }

        static String line(List<TurnTimes> times) {
            return "head " + pct(times, TurnTimes::headNanos) + "  asked " + pct(times, TurnTimes::askedNanos)
                    + "  text " + pct(times, TurnTimes::textNanos) + "  audio " + pct(times, TurnTimes::audioNanos)
                    + "  follow-up head " + pct(times, TurnTimes::followHeadNanos) + "  asked "
                    + pct(times, TurnTimes::followAskedNanos) + "  (ms p50/p99/max)";
        }

        private static String pct(List<TurnTimes> times, java.util.function.ToLongFunction<TurnTimes> f) {
            long[] v = times.stream().mapToLong(f).filter(x -> x >= 0).sorted().toArray();
            if (v.length == 0) {
                return "-";
            }
            return ms(quantile(v, 0.5)) + "/" + ms(quantile(v, 0.99)) + "/" + ms(v[v.length - 1]);
        }
    }

    static double quantile(long[] sorted, double q) {
        if (sorted.length == 0) {
            return Double.NaN;
        }
        int i = (int) Math.ceil(q * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, i))];
    }

    /** A Lectern node and its rounds. */
    private static final class Node {
        final String name;
        final int port;
        final Process process;
        final List<List<TurnTimes>> rounds = new ArrayList<>();
        final List<Double> cpuPerTurn = new ArrayList<>();

        Node(String name, int port, Process process) {
            this.name = name;
            this.port = port;
            this.process = process;
        }

        /** The node JVM's CPU time so far (user + system, all threads), as the OS counts it. */
        long cpuNanos() {
            return process.toHandle().info().totalCpuDuration().map(java.time.Duration::toNanos).orElse(-1L);
        }

        /** One round's CPU of the node (its whole JVM: loops, blocking threads, JIT, GC) per chat turn. */
        void cpu(long nanos, long turns) {
            if (nanos >= 0 && turns > 0) {
                cpuPerTurn.add(nanos / 1e6 / turns);
            }
        }

        String cpuSummary() {
            if (cpuPerTurn.isEmpty()) {
                return "not measured";
            }
            double[] v = cpuPerTurn.stream().mapToDouble(Double::doubleValue).sorted().toArray();
            double median = v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
            return String.format(Locale.ROOT, "%.2f [%.2f-%.2f]", median, v[0], v[v.length - 1]);
        }

        void add(List<TurnTimes> round) {
            rounds.add(round);
        }

        double[] p50s(java.util.function.ToLongFunction<TurnTimes> f) {
            return rounds.stream().mapToDouble(r -> quantile(r.stream().mapToLong(f).filter(x -> x >= 0).sorted().toArray(), 0.5))
                    .toArray();
        }

        double medianOfP50(java.util.function.ToLongFunction<TurnTimes> f) {
            double[] v = p50s(f);
            Arrays.sort(v);
            return v.length % 2 == 1 ? v[v.length / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
        }

        String summary(java.util.function.ToLongFunction<TurnTimes> f) {
            double[] v = p50s(f);
            Arrays.sort(v);
            return ms(medianOfP50(f)) + " [" + ms(v[0]) + "-" + ms(v[v.length - 1]) + "]";
        }

        /** p50 / p99 / max over every turn of every round. */
        String all(java.util.function.ToLongFunction<TurnTimes> f) {
            long[] v = rounds.stream().flatMap(List::stream).mapToLong(f).filter(x -> x >= 0).sorted().toArray();
            long missing = rounds.stream().mapToLong(List::size).sum() - v.length;
            if (v.length == 0) {
                return "none measured";
            }
            return ms(quantile(v, 0.5)) + " / " + ms(quantile(v, 0.99)) + " / " + ms(v[v.length - 1])
                    + (missing > 0 ? "  (" + missing + " turns without this figure: no audio event, or none reached"
                    + " the avatar)" : "");
        }

        double allQuantile(java.util.function.ToLongFunction<TurnTimes> f, double q) {
            return quantile(rounds.stream().flatMap(List::stream).mapToLong(f).filter(x -> x >= 0).sorted().toArray(), q);
        }

        String ratios(Node other, java.util.function.ToLongFunction<TurnTimes> f) {
            double[] mine = p50s(f);
            double[] theirs = other.p50s(f);
            List<String> out = new ArrayList<>();
            for (int i = 0; i < Math.min(mine.length, theirs.length); i++) {
                out.add(String.format(Locale.ROOT, "%.2f", theirs[i] / mine[i]));
            }
            return String.join(" ", out);
        }
    }

    /**
     * An OpenAI-compatible model on a free port that writes {@link #ANSWER} one word every {@code tokenMillis},
     * flushing each, and notes per turn (the {@code turn-N} in the question) when the request arrived and when the
     * first sentence's last word was written.
     */
    static final class PacedModel implements AutoCloseable {
        record Times(long asked, long firstToken, long firstSentence) {}

        private final HttpServer server;
        private final int tokenMillis;
        private final Map<Long, Long> asked = new ConcurrentHashMap<>();
        private final Map<Long, Long> firstToken = new ConcurrentHashMap<>();
        private final Map<Long, Long> firstSentence = new ConcurrentHashMap<>();

        PacedModel(int tokenMillis) throws IOException {
            this.tokenMillis = tokenMillis;
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
            server.setExecutor(Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "paced-model");
                t.setDaemon(true);
                return t;
            }));
            server.createContext("/", this::answer);
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        Times times(long turn) {
            return new Times(asked.get(turn), firstToken.get(turn), firstSentence.get(turn));
        }

        private void answer(HttpExchange ex) throws IOException {
            long in = System.nanoTime();
            try (ex) {
                JsonNode request = Json.MAPPER.readTree(ex.getRequestBody().readAllBytes());
                JsonNode messages = request.get("messages");
                Matcher m = TURN.matcher(messages.get(messages.size() - 1).get("content").asText());
                long turn = m.find() ? Long.parseLong(m.group(1)) : -1;
                asked.put(turn, in);
                ex.getResponseHeaders().set("Content-Type", "text/event-stream");
                ex.sendResponseHeaders(200, 0);
                OutputStream out = ex.getResponseBody();
                String[] words = String.format(Locale.ROOT, ANSWER, turn).split("(?<= )");
                boolean firstDone = false;
                for (String w : words) {
                    byte[] event = ("data: " + chunk(w, null) + "\n\n").getBytes(StandardCharsets.UTF_8);
                    // stamped before the write: stamped after it, a thread that lost the CPU between the two could
                    // stamp after Lectern had already passed the text on (a hop shorter than it was, even negative)
                    long now = System.nanoTime();
                    firstToken.putIfAbsent(turn, now);
                    if (!firstDone && w.strip().endsWith(".")) {
                        firstDone = true;
                        firstSentence.put(turn, now);
                    }
                    out.write(event);
                    out.flush();
                    Thread.sleep(tokenMillis);
                }
                out.write(("data: " + chunk(null, "stop") + "\n\ndata: [DONE]\n\n").getBytes(StandardCharsets.UTF_8));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        private static String chunk(String content, String finishReason) {
            ObjectNode root = Json.MAPPER.createObjectNode();
            root.put("id", "chatcmpl-bench").put("object", "chat.completion.chunk").put("model", "bench-model");
            ObjectNode choice = root.putArray("choices").addObject();
            choice.put("index", 0);
            ObjectNode delta = choice.putObject("delta");
            if (content != null) {
                delta.put("content", content);
            }
            if (finishReason == null) {
                choice.putNull("finish_reason");
            } else {
                choice.put("finish_reason", finishReason);
            }
            return Json.write(root);
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }

    /**
     * Where the avatar stand-ins ({@code BenchLiveTalking}, child processes of the nodes) report each turn's first
     * {@code /human}: one TCP connection per instance, a line {@code <turn> <nanoTime>} per turn. Their
     * {@link System#nanoTime} is CLOCK_MONOTONIC on Linux, the clock of this JVM's readings too.
     */
    static final class AvatarReports implements AutoCloseable {
        private final ServerSocket server;
        private final Map<Long, CompletableFuture<Long>> arrivals = new ConcurrentHashMap<>();

        AvatarReports() throws IOException {
            server = new ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress());
            Thread accept = new Thread(this::accept, "bench-avatar-reports");
            accept.setDaemon(true);
            accept.start();
        }

        int port() {
            return server.getLocalPort();
        }

        /** When the turn's first sentence reached the avatar (waits for the report, 30 s at most). */
        long arrival(long turn) {
            try {
                return future(turn).get(30, TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException e) {
                throw new IllegalStateException("turn " + turn + " never reached the avatar", e);
            } catch (java.util.concurrent.ExecutionException e) {
                throw new IllegalStateException(e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException(e);
            }
        }

        private CompletableFuture<Long> future(long turn) {
            return arrivals.computeIfAbsent(turn, t -> new CompletableFuture<>());
        }

        private void accept() {
            while (!server.isClosed()) {
                try {
                    Socket s = server.accept();
                    Thread reader = new Thread(() -> read(s), "bench-avatar-report");
                    reader.setDaemon(true);
                    reader.start();
                } catch (IOException e) {
                    return; // closed
                }
            }
        }

        private void read(Socket s) {
            try (BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(),
                    StandardCharsets.US_ASCII))) {
                String line;
                while ((line = in.readLine()) != null) {
                    int space = line.indexOf(' ');
                    future(Long.parseLong(line.substring(0, space))).complete(Long.parseLong(line.substring(space + 1)));
                }
            } catch (IOException e) {
                // the instance stopped
            }
        }

        @Override
        public void close() throws IOException {
            server.close();
        }
    }

    /**
     * An OpenAI-compatible {@code POST /v1/audio/speech} on a free port, paced like a cloud provider: the first bytes
     * {@code firstByteMillis} after the request, then {@code chunks} chunks {@code chunkMillis} apart, chunked. It notes,
     * per turn (the {@code turn N} in the first sentence), when the request arrived and when its first byte was flushed.
     */
    static final class PacedTts implements AutoCloseable {
        record Times(long arrived, long firstByte) {}

        private static final Pattern SENTENCE_TURN = Pattern.compile("turn (\\d+)");
        private final HttpServer server;
        private final int firstByteMillis;
        private final int chunkMillis;
        private final int chunks;
        private final Map<Long, Times> times = new ConcurrentHashMap<>();

        PacedTts(int firstByteMillis, int chunkMillis, int chunks) throws IOException {
            this.firstByteMillis = firstByteMillis;
            this.chunkMillis = chunkMillis;
            this.chunks = Math.max(1, chunks);
            server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 1024);
            server.setExecutor(Executors.newCachedThreadPool(r -> {
                Thread t = new Thread(r, "paced-tts");
                t.setDaemon(true);
                return t;
            }));
            server.createContext("/", this::speak);
            server.start();
        }

        int port() {
            return server.getAddress().getPort();
        }

        String describe() {
            return "first byte after " + firstByteMillis + " ms, " + chunks + " chunks " + chunkMillis + " ms apart";
        }

        Times times(long turn) {
            return times.get(turn);
        }

        private void speak(HttpExchange ex) throws IOException {
            long in = System.nanoTime();
            try (ex) {
                JsonNode request = Json.MAPPER.readTree(ex.getRequestBody().readAllBytes());
                Matcher m = SENTENCE_TURN.matcher(request.path("input").asText());
                long turn = m.find() ? Long.parseLong(m.group(1)) : -1;
                Thread.sleep(firstByteMillis);
                ex.getResponseHeaders().set("Content-Type", "audio/mpeg");
                ex.sendResponseHeaders(200, 0);
                OutputStream out = ex.getResponseBody();
                byte[] chunk = new byte[1024];
                chunk[0] = 'I';
                chunk[1] = 'D';
                chunk[2] = '3';
                chunk[3] = 4;
                if (turn >= 0) { // before the write, as the model's stamps
                    times.put(turn, new Times(in, System.nanoTime()));
                }
                out.write(chunk);
                out.flush();
                java.util.Arrays.fill(chunk, (byte) 0);
                for (int i = 1; i < chunks; i++) {
                    Thread.sleep(chunkMillis);
                    out.write(chunk);
                    out.flush();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }

        @Override
        public void close() {
            server.stop(0);
        }
    }
}
