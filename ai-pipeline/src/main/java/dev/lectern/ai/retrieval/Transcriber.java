package dev.lectern.ai.retrieval;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.config.AiConfig;
import dev.lectern.core.config.Secret;
import dev.lectern.core.json.Json;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.UUID;

/**
 * Speech-to-text through any OpenAI-compatible {@code POST {baseUrl}/audio/transcriptions} (multipart: {@code file},
 * {@code model}, {@code response_format=json}; answer {@code {"text":…}}). The audio streams from its file. Blocking:
 * call from the blocking executor.
 */
public final class Transcriber {
    private final AiConfig.Transcription config;
    private final Optional<Secret> key;
    private final HttpClient http;

    public Transcriber(AiConfig.Transcription config, Optional<Secret> key) {
        this.config = config;
        this.key = key;
        this.http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    }

    public boolean enabled() {
        return config.enabled();
    }

    public String transcribe(Path audio, String filename, String contentType) throws ExtractionException {
        String boundary = "lectern-" + UUID.randomUUID();
        String safeName = filename.replaceAll("[\"\\\\\\r\\n]", "_");
        String head = "--" + boundary + "\r\nContent-Disposition: form-data; name=\"model\"\r\n\r\n" + config.model()
                + "\r\n--" + boundary + "\r\nContent-Disposition: form-data; name=\"response_format\"\r\n\r\njson\r\n"
                + "--" + boundary + "\r\nContent-Disposition: form-data; name=\"file\"; filename=\"" + safeName
                + "\"\r\nContent-Type: " + contentType + "\r\n\r\n";
        String tail = "\r\n--" + boundary + "--\r\n";
        HttpRequest.Builder b;
        try {
            b = HttpRequest.newBuilder(URI.create(config.baseUrl().replaceAll("/+$", "") + "/audio/transcriptions"))
                    .timeout(Duration.ofMillis(config.timeoutMillis()))
                    .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                    .POST(HttpRequest.BodyPublishers.concat(
                            HttpRequest.BodyPublishers.ofString(head, StandardCharsets.UTF_8),
                            HttpRequest.BodyPublishers.ofFile(audio),
                            HttpRequest.BodyPublishers.ofString(tail, StandardCharsets.UTF_8)));
        } catch (IOException e) {
            throw new ExtractionException("the audio file is unreadable");
        }
        key.ifPresent(k -> b.header("Authorization", "Bearer " + k.reveal()));
        try {
            HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
            if (r.statusCode() != 200) {
                throw new ExtractionException("the transcription service answered HTTP " + r.statusCode());
            }
            JsonNode n = Json.MAPPER.readTree(r.body());
            JsonNode text = n == null ? null : n.get("text");
            if (text == null || !text.isTextual()) {
                throw new ExtractionException("the transcription service sent no text");
            }
            return text.textValue();
        } catch (java.net.http.HttpTimeoutException e) {
            throw new ExtractionException("the transcription took longer than " + config.timeoutMillis() + " ms");
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
