package dev.lectern.ai.llm;

import com.fasterxml.jackson.databind.JsonNode;

/** Token counts of one model answer, as the provider reported them (or estimated when it did not). */
public record Usage(long promptTokens, long completionTokens, long totalTokens, boolean estimated) {
    public static final Usage NONE = new Usage(0, 0, 0, false);

    static Usage of(JsonNode usage) {
        if (usage == null || !usage.isObject()) {
            return null;
        }
        long p = usage.path("prompt_tokens").asLong(0);
        long c = usage.path("completion_tokens").asLong(0);
        long t = usage.path("total_tokens").asLong(p + c);
        return new Usage(p, c, t, false);
    }

    /** About four characters a token: good enough for budgets when the provider sent no usage. */
    public static long estimateTokens(String text) {
        return text == null || text.isEmpty() ? 0 : (text.length() + 3) / 4;
    }

    public static Usage estimate(long promptChars, String answer) {
        long p = (promptChars + 3) / 4;
        long c = estimateTokens(answer);
        return new Usage(p, c, p + c, true);
    }
}
