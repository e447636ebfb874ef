package dev.lectern.ai.llm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.json.Json;

/**
 * One decoded {@code data:} payload of an OpenAI-compatible chat-completions stream. The four provider quirks map to
 * the variants: {@code [DONE]} → {@link Done}; a chunk with {@code choices: []} and a {@code usage} → {@link Delta}
 * with no text; {@code {"error":…}} (OpenAI) or {@code finish_reason:"error"} with a top-level error (OpenRouter),
 * both inside an HTTP 200 stream → {@link Failed}.
 */
public sealed interface CompletionChunk {
    /** Text (possibly empty), a finish reason when the choice ended, usage when the chunk carries it. */
    record Delta(String text, String finishReason, Usage usage) implements CompletionChunk {}

    record Done() implements CompletionChunk {}

    record Failed(String code, String message) implements CompletionChunk {}

    static CompletionChunk parse(String data) {
        String d = data.strip();
        if (d.equals("[DONE]")) {
            return new Done();
        }
        JsonNode root;
        try {
            root = Json.MAPPER.readTree(d);
        } catch (JsonProcessingException e) {
            return new Failed("upstream_protocol", "the model provider sent a malformed stream chunk");
        }
        if (root == null || !root.isObject()) {
            return new Failed("upstream_protocol", "the model provider sent a stream chunk that is not an object");
        }
        JsonNode error = root.get("error");
        JsonNode choices = root.path("choices");
        JsonNode first = choices.isArray() && !choices.isEmpty() ? choices.get(0) : null;
        String finish = first == null ? null : text(first.get("finish_reason"));
        if ((error != null && !error.isNull()) || "error".equals(finish)) {
            return failed(error);
        }
        Usage usage = Usage.of(root.get("usage"));
        if (first == null) {
            return new Delta("", null, usage);
        }
        String content = text(first.path("delta").get("content"));
        return new Delta(content == null ? "" : content, finish, usage);
    }

    private static Failed failed(JsonNode error) {
        if (error == null || error.isNull()) {
            return new Failed("upstream_error", "the model stopped with an error");
        }
        String message = error.isObject() ? text(error.get("message")) : text(error);
        JsonNode code = error.isObject() ? error.get("code") : null;
        if (code == null || code.isNull()) {
            code = error.isObject() ? error.get("type") : null;
        }
        String c = code == null || code.isNull() ? "upstream_error" : code.asText();
        return new Failed(c, message == null || message.isBlank() ? "the model stopped with an error" : message);
    }

    private static String text(JsonNode n) {
        return n == null || n.isNull() ? null : n.isTextual() ? n.textValue() : n.toString();
    }
}
