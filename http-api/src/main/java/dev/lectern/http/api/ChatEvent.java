package dev.lectern.http.api;

import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One event of {@code POST /api/chat/stream} (its data, JSON), by {@code status}: {@code started} ({@code session_id,
 * model, offline}), {@code streaming} ({@code chunk}, {@code offline} only when true), {@code audio} ({@code index,
 * audio_url}; for a clip that streams also {@code audio_type}, its media type, and {@code audio_data}, its first bytes in
 * base64, which a client can play at once while it fetches the whole clip at {@code audio_url}), then one of {@code complete} ({@code session_id, model, offline, text, usage, sources}, {@code notice}
 * when there is one), {@code error} ({@code code, message}) or {@code interrupted} ({@code reason}). Fields an event
 * does not carry are left out. {@code session_id} is a number for the SQL store's numeric ids (the Virtual Tutor
 * front end reads an int), a string otherwise.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record ChatEvent(String status, @JsonProperty("session_id") Object sessionId, String model, Boolean offline,
                        String chunk, Integer index, @JsonProperty("audio_url") String audioUrl, String text,
                        TokenUsage usage, List<Source> sources, String notice, String code, String message,
                        String reason, @JsonProperty("audio_type") String audioType,
                        @JsonProperty("audio_data") String audioData) {

    /** An event without a clip's first bytes (every status but a streamed clip's {@code audio}). */
    public ChatEvent(String status, Object sessionId, String model, Boolean offline, String chunk, Integer index,
                     String audioUrl, String text, TokenUsage usage, List<Source> sources, String notice, String code,
                     String message, String reason) {
        this(status, sessionId, model, offline, chunk, index, audioUrl, text, usage, sources, notice, code, message,
                reason, null, null);
    }

    /** The tokens of a complete answer ({@code estimated} when the model did not say). */
    public record TokenUsage(@JsonProperty("prompt_tokens") long promptTokens,
                             @JsonProperty("completion_tokens") long completionTokens,
                             @JsonProperty("total_tokens") long totalTokens, boolean estimated) {}

    /** A passage of the caller's files the answer drew on; {@code page} null when the file has none. */
    public record Source(@JsonProperty("file_id") Object fileId, String filename, Integer page, String passage) {}
}
