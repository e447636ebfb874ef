package dev.lectern.media.livetalking;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.json.Json;
import dev.lectern.core.util.Futures;
import java.io.IOException;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeoutException;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.Response;

/**
 * The LiveTalking HTTP API of one avatar instance on 127.0.0.1: {@code /offer}, {@code /human}, {@code /interrupt_talk},
 * {@code /is_speaking}. Asynchronous (async-http-client); callbacks run on the client's I/O threads, so callers hand
 * results on rather than block there. The HTTP 200 {@code {"code":-1,"msg"}} envelope becomes a
 * {@link LiveTalkingException}; session ids travel as raw JSON.
 *
 * <p>Voice hand-off: send each sentence with {@link #human} after the previous one completed (LiveTalking queues
 * them in arrival order); on barge-in call {@link #interruptTalk} first, or pass {@code interrupt=true}.
 */
public final class LiveTalkingClient {
    private static final JsonNodeFactory F = JsonNodeFactory.instance;

    private final AsyncHttpClient http;
    private final Duration offerTimeout;
    private final Duration requestTimeout;

    public LiveTalkingClient(AsyncHttpClient http, Duration offerTimeout, Duration requestTimeout) {
        this.http = Objects.requireNonNull(http);
        this.offerTimeout = offerTimeout;
        this.requestTimeout = requestTimeout;
    }

    /** {@code POST /offer {sdp,type}}: slow (the avatar builds its session first), hence its own timeout. */
    public CompletionStage<OfferAnswer> offer(int port, String sdp, String type) {
        ObjectNode body = F.objectNode().put("sdp", sdp).put("type", type);
        return call(port, "/offer", body, offerTimeout).thenApply(json -> {
            JsonNode answerSdp = json.get("sdp");
            JsonNode session = json.get("sessionid");
            if (answerSdp == null || !answerSdp.isTextual() || session == null
                    || !(session.isIntegralNumber() || session.isTextual())) {
                throw new LiveTalkingException(LiveTalkingException.Reason.MALFORMED, 200,
                        "the avatar sent an answer without sdp or sessionid", null, null);
            }
            JsonNode answerType = json.get("type");
            return new OfferAnswer(answerSdp.asText(), answerType == null ? "answer" : answerType.asText(), session);
        });
    }

    /** {@code POST /human {sessionid,text,type:"echo",interrupt?}}: the avatar speaks the text as it is. */
    public CompletionStage<Void> human(int port, JsonNode sessionId, String text, boolean interrupt) {
        ObjectNode body = F.objectNode();
        body.set("sessionid", sessionId);
        body.put("text", text).put("type", "echo");
        if (interrupt) {
            body.put("interrupt", true);
        }
        return call(port, "/human", body, requestTimeout).thenApply(json -> null);
    }

    /** {@code POST /interrupt_talk {sessionid}}: drops what the avatar has queued to say. */
    public CompletionStage<Void> interruptTalk(int port, JsonNode sessionId) {
        ObjectNode body = F.objectNode();
        body.set("sessionid", sessionId);
        return call(port, "/interrupt_talk", body, requestTimeout).thenApply(json -> null);
    }

    /** {@code POST /is_speaking {sessionid}} → {@code data}: true while the avatar is talking. */
    public CompletionStage<Boolean> isSpeaking(int port, JsonNode sessionId) {
        ObjectNode body = F.objectNode();
        body.set("sessionid", sessionId);
        return call(port, "/is_speaking", body, requestTimeout).thenApply(json -> {
            JsonNode data = json.get("data");
            if (data == null || !data.isBoolean()) {
                throw new LiveTalkingException(LiveTalkingException.Reason.MALFORMED, 200,
                        "the avatar did not say whether it is speaking", null, null);
            }
            return data.booleanValue();
        });
    }

    private CompletionStage<JsonNode> call(int port, String path, ObjectNode body, Duration timeout) {
        CompletableFuture<Response> response;
        try {
            response = http.preparePost("http://127.0.0.1:" + port + path)
                    .setHeader("Content-Type", "application/json")
                    .setBody(Json.writeBytes(body))
                    .setRequestTimeout(timeout)
                    .execute()
                    .toCompletableFuture();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(unreachable(e));
        }
        return response.handle((r, err) -> {
            if (err != null) {
                throw unreachable(err);
            }
            return parse(path, r);
        });
    }

    private static LiveTalkingException unreachable(Throwable err) {
        Throwable t = Futures.unwrap(err);
        String what = t instanceof TimeoutException ? "the avatar did not answer in time" : "the avatar is not reachable";
        return new LiveTalkingException(LiveTalkingException.Reason.UNREACHABLE, 0, what, t.toString(), t);
    }

    static JsonNode parse(String path, Response r) {
        int status = r.getStatusCode();
        if (status < 200 || status > 299) {
            throw new LiveTalkingException(LiveTalkingException.Reason.HTTP_ERROR, status,
                    "the avatar answered " + path + " with HTTP " + status, abbreviate(r.getResponseBody()), null);
        }
        JsonNode json;
        try {
            json = Json.MAPPER.readTree(r.getResponseBodyAsBytes());
        } catch (IOException e) {
            json = null;
        }
        if (json == null || !json.isObject()) {
            throw new LiveTalkingException(LiveTalkingException.Reason.MALFORMED, status,
                    "the avatar sent an unreadable answer to " + path, abbreviate(r.getResponseBody()), null);
        }
        String refusal = refusal(json);
        if (refusal != null) {
            throw new LiveTalkingException(LiveTalkingException.Reason.REFUSED, status,
                    "the avatar refused " + path + ": " + abbreviate(refusal), refusal, null);
        }
        return json;
    }

    /**
     * The {@code msg} of LiveTalking's error envelope ({@code {"code":-1,"msg"}}, sent with HTTP 200), or null when
     * the answer is not a refusal. Any {@code code} other than 0 counts as one.
     */
    public static String refusal(JsonNode json) {
        JsonNode code = json.get("code");
        if (code == null || (code.isIntegralNumber() && code.intValue() == 0)) {
            return null;
        }
        JsonNode msg = json.get("msg");
        return msg == null || msg.isNull() ? "" : msg.asText();
    }

    private static String abbreviate(String s) {
        if (s == null) {
            return "";
        }
        return s.length() <= 200 ? s : s.substring(0, 200) + "…";
    }
}
