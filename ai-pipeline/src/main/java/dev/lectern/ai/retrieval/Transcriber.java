package dev.lectern.ai.retrieval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.json.Json;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeoutException;
import org.asynchttpclient.AsyncHttpClient;
import org.asynchttpclient.BoundRequestBuilder;
import org.asynchttpclient.Response;
import org.asynchttpclient.request.body.multipart.FilePart;
import org.asynchttpclient.request.body.multipart.StringPart;

/**
 * Speech-to-text through any OpenAI-compatible {@code POST {baseUrl}/audio/transcriptions} (multipart: {@code model},
 * {@code response_format=json}, {@code file}; answer {@code {"text":…}}), on the process's shared HTTP client. The audio
 * streams from its file. Blocking: call from the blocking executor.
 */
public final class Transcriber {
    private final AiConfig.Transcription config;
    private final Optional<Secret> key;
    private final AsyncHttpClient http;

    public Transcriber(AiConfig.Transcription config, Optional<Secret> key, AsyncHttpClient http) {
        this.config = config;
        this.key = key;
        this.http = http;
    }

    public boolean enabled() {
        return config.enabled();
    }

    public String transcribe(Path audio, String filename, String contentType) throws ExtractionException {
        if (!Files.isReadable(audio)) {
            throw new ExtractionException("the audio file is unreadable");
        }
        String safeName = filename.replaceAll("[\"\\\\\\r\\n]", "_");
        BoundRequestBuilder b = http.preparePost(config.baseUrl().replaceAll("/+$", "") + "/audio/transcriptions")
                .setRequestTimeout(Duration.ofMillis(config.timeoutMillis()))
                .addBodyPart(new StringPart("model", config.model(), "text/plain", StandardCharsets.UTF_8))
                .addBodyPart(new StringPart("response_format", "json", "text/plain", StandardCharsets.UTF_8))
                .addBodyPart(new FilePart("file", audio.toFile(), contentType, null, safeName));
        key.ifPresent(k -> b.setHeader("Authorization", "Bearer " + k.reveal()));
        try {
            Response r = b.execute().get();
            if (r.getStatusCode() != 200) {
                throw new ExtractionException("the transcription service answered HTTP " + r.getStatusCode());
            }
            JsonNode n = Json.MAPPER.readTree(r.getResponseBodyAsBytes());
            JsonNode text = n == null ? null : n.get("text");
            if (text == null || !text.isTextual()) {
                throw new ExtractionException("the transcription service sent no text");
            }
            return text.textValue();
        } catch (ExecutionException e) {
            if (e.getCause() instanceof TimeoutException) {
                throw new ExtractionException("the transcription took longer than " + config.timeoutMillis() + " ms");
            }
            throw new ExtractionException("the transcription service is unreachable or answered garbage");
        } catch (IOException e) {
            throw new ExtractionException("the transcription service is unreachable or answered garbage");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new ExtractionException("interrupted");
        }
    }

    static List<PageText> asPages(String transcript) {
        return List.of(new PageText(0, transcript));
    }
}
