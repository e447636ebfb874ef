package dev.lectern.ai.tts;

import dev.lectern.core.config.Secret;
import dev.lectern.core.json.Json;
import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import org.asynchttpclient.AsyncCompletionHandler;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.BoundRequestBuilder;
import org.asynchttpclient.HttpResponseBodyPart;
import org.asynchttpclient.HttpResponseStatus;
import org.asynchttpclient.Response;

/**
 * The two HTTP text-to-speech APIs: any OpenAI-compatible {@code POST {base}/audio/speech} and ElevenLabs
 * {@code POST {base}/v1/text-to-speech/{voice}/stream} with {@code xi-api-key}. Both answer MP3 bytes, streamed as
 * they are synthesised.
 */
public final class HttpTts implements TtsProvider {
    private final String name;
    private final String url;
    private final Map<String, Object> bodyTemplate;
    private final String textField;
    private final String keyHeader;
    private final Optional<Secret> key;
    private final AsyncHttpClient http;
    private final Duration timeout;
    private final Function<String, HttpTts> revoice;

    private HttpTts(String name, String url, Map<String, Object> bodyTemplate, String textField, String keyHeader,
                    Optional<Secret> key, AsyncHttpClient http, Duration timeout,
                    Function<String, HttpTts> revoice) {
        this.revoice = revoice;
        this.name = name;
        this.url = url;
        this.bodyTemplate = bodyTemplate;
        this.textField = textField;
        this.keyHeader = keyHeader;
        this.key = key;
        this.http = http;
        this.timeout = timeout;
    }

    public static HttpTts openAi(String baseUrl, String model, String voice, Optional<Secret> key,
                                 AsyncHttpClient http, Duration timeout) {
        return new HttpTts("openai", trim(baseUrl) + "/audio/speech", Map.of("model", model.isEmpty() ? "tts-1" : model,
                "voice", voice.isEmpty() ? "alloy" : voice, "response_format", "mp3"), "input", "Authorization", key,
                http, timeout, other -> openAi(baseUrl, model, other, key, http, timeout));
    }

    public static HttpTts elevenLabs(String baseUrl, String model, String voice, Optional<Secret> key,
                                     AsyncHttpClient http, Duration timeout) {
        String v = URLEncoder.encode(voice.isEmpty() ? "21m00Tcm4TlvDq8ikWAM" : voice, StandardCharsets.UTF_8);
        return new HttpTts("elevenlabs", trim(baseUrl) + "/v1/text-to-speech/" + v + "/stream?output_format=mp3_44100_128",
                Map.of("model_id", model.isEmpty() ? "eleven_flash_v2_5" : model), "text", "xi-api-key", key, http,
                timeout, other -> elevenLabs(baseUrl, model, other, key, http, timeout));
    }

    private static String trim(String base) {
        return base.endsWith("/") ? base.substring(0, base.length() - 1) : base;
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public String extension() {
        return "mp3";
    }

    @Override
    public TtsProvider withVoice(String voice) {
        return voice == null || voice.isBlank() ? this : revoice.apply(voice.strip());
    }

    /** The whole clip: the streamed answer gathered (so a stale connection is retried the same way). */
    @Override
    public CompletableFuture<byte[]> synthesize(String text) {
        java.io.ByteArrayOutputStream all = new java.io.ByteArrayOutputStream();
        return stream(text, all::writeBytes).thenApply(v -> all.toByteArray());
    }

    /**
     * A pooled keep-alive connection that the provider closed while it sat idle (servers close idle connections
     * after a few seconds, or beyond a count of idle ones): the request written on it is answered by the close, before
     * any status line. The provider never read it, so it is sent again once, on a connection of its own (the pool may
     * hold more connections the provider has closed: the retry takes none of them); a close after the status line, or
     * a second one, fails the sentence.
     */
    static boolean isStaleConnection(Throwable t) {
        return t instanceof org.asynchttpclient.exception.RemotelyClosedException
                || t instanceof java.nio.channels.ClosedChannelException
                || t instanceof java.io.IOException && t.getMessage() != null
                        && t.getMessage().contains("Connection reset");
    }

    /** Both APIs answer a chunked body as the audio is synthesised: each part goes on as it arrives. */
    @Override
    public CompletableFuture<Void> stream(String text, AudioOut out) {
        CompletableFuture<Void> done = new CompletableFuture<>();
        stream(text, out, done, true);
        return done;
    }

    private void stream(String text, AudioOut out, CompletableFuture<Void> done, boolean mayRetry) {
        // nothing is accumulated: the parts are handed on, not kept (the overrides skip the base class's builder)
        request(text, !mayRetry).execute(new AsyncCompletionHandler<Void>() {
            private long received;
            private boolean answered;

            @Override
            public State onStatusReceived(HttpResponseStatus status) {
                answered = true;
                if (status.getStatusCode() != 200) {
                    done.completeExceptionally(new TtsException(name + " text-to-speech answered HTTP "
                            + status.getStatusCode()));
                    return State.ABORT;
                }
                return State.CONTINUE;
            }

            @Override
            public State onBodyPartReceived(HttpResponseBodyPart part) {
                if (done.isDone()) {
                    return State.ABORT; // the receiver failed
                }
                byte[] bytes = part.getBodyPartBytes();
                if (bytes.length > 0) {
                    received += bytes.length;
                    try {
                        out.write(bytes);
                    } catch (RuntimeException e) {
                        done.completeExceptionally(e);
                        return State.ABORT;
                    }
                }
                return State.CONTINUE;
            }

            @Override
            public void onThrowable(Throwable t) {
                if (mayRetry && !answered && received == 0 && !done.isDone() && isStaleConnection(t)) {
                    stream(text, out, done, false);
                    return;
                }
                done.completeExceptionally(t instanceof TtsException ? t
                        : new TtsException(name + " text-to-speech failed: " + t.getMessage()));
            }

            @Override
            public Void onCompleted(Response response) {
                if (received == 0) {
                    done.completeExceptionally(new TtsException(name + " text-to-speech sent no audio"));
                } else {
                    done.complete(null);
                }
                return null;
            }
        });
    }

    /**
     * The request for {@code text}; {@code fresh}: on a connection of its own, not taken from the pool (a partition
     * key no pooled connection has) and not kept after it ({@code Connection: close}).
     */
    private BoundRequestBuilder request(String text, boolean fresh) {
        java.util.Map<String, Object> body = new java.util.LinkedHashMap<>(bodyTemplate);
        body.put(textField, text);
        BoundRequestBuilder b = http.preparePost(url).setHeader("Content-Type", "application/json")
                .setBody(Json.writeBytes(body)).setRequestTimeout(timeout);
        if (fresh) {
            Object unpooled = new Object();
            b.setChannelPoolPartitioning((uri, virtualHost, proxy) -> unpooled).setHeader("Connection", "close");
        }
        key.ifPresent(k -> b.setHeader(keyHeader, keyHeader.equals("Authorization") ? "Bearer " + k.reveal() : k.reveal()));
        return b;
    }
}
