package dev.lectern.ai.llm;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class CompletionChunkTest {
    @Test
    void contentDelta() {
        CompletionChunk c = CompletionChunk.parse("{\"id\":\"x\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"The\"},"
                + "\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}");
        assertThat(c).isEqualTo(new CompletionChunk.Delta("The", null, null));
    }

    @Test
    void roleOnlyDeltaHasNoText() {
        CompletionChunk c = CompletionChunk.parse("{\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\","
                + "\"content\":null},\"finish_reason\":null}]}");
        assertThat(c).isEqualTo(new CompletionChunk.Delta("", null, null));
    }

    @Test
    void usageOnlyChunkWithEmptyChoices() {
        CompletionChunk c = CompletionChunk.parse("{\"choices\":[],\"usage\":{\"prompt_tokens\":19,"
                + "\"completion_tokens\":10,\"total_tokens\":29}}");
        assertThat(c).isEqualTo(new CompletionChunk.Delta("", null, new Usage(19, 10, 29, false)));
    }

    @Test
    void finishReason() {
        CompletionChunk c = CompletionChunk.parse("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}");
        assertThat(c).isEqualTo(new CompletionChunk.Delta("", "length", null));
    }

    @Test
    void openAiMidStreamError() {
        CompletionChunk c = CompletionChunk.parse("{\"error\":{\"message\":\"The server had an error while processing "
                + "your request\",\"type\":\"server_error\"}}");
        assertThat(c).isEqualTo(new CompletionChunk.Failed("server_error",
                "The server had an error while processing your request"));
    }

    @Test
    void openRouterUnifiedMidStreamError() {
        CompletionChunk c = CompletionChunk.parse("{\"id\":\"cmpl-abc123\",\"object\":\"chat.completion.chunk\","
                + "\"provider\":\"openai\",\"error\":{\"code\":\"server_error\",\"message\":\"Provider disconnected "
                + "unexpectedly\"},\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"},\"finish_reason\":\"error\"}]}");
        assertThat(c).isEqualTo(new CompletionChunk.Failed("server_error", "Provider disconnected unexpectedly"));
    }

    @Test
    void finishReasonErrorWithoutErrorObject() {
        CompletionChunk c = CompletionChunk.parse("{\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"error\"}]}");
        assertThat(c).isInstanceOf(CompletionChunk.Failed.class);
    }

    @Test
    void numericErrorCode() {
        CompletionChunk c = CompletionChunk.parse("{\"error\":{\"code\":502,\"message\":\"bad gateway\"}}");
        assertThat(c).isEqualTo(new CompletionChunk.Failed("502", "bad gateway"));
    }

    @Test
    void doneSentinel() {
        assertThat(CompletionChunk.parse(" [DONE] ")).isInstanceOf(CompletionChunk.Done.class);
    }

    @Test
    void malformedJsonIsAProtocolFailure() {
        assertThat(CompletionChunk.parse("{nope")).isEqualTo(new CompletionChunk.Failed("upstream_protocol",
                "the model provider sent a malformed stream chunk"));
        assertThat(CompletionChunk.parse("[1,2]")).isInstanceOf(CompletionChunk.Failed.class);
    }
}
