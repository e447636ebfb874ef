package dev.lectern.ai.llm;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SseEventParserTest {
    private final List<String> data = new ArrayList<>();
    private final List<String> comments = new ArrayList<>();
    private final SseEventParser parser = new SseEventParser(new SseEventParser.Listener() {
        @Override
        public void onData(String d) {
            data.add(d);
        }

        @Override
        public void onComment(String c) {
            comments.add(c);
        }
    }, 1024);

    private void feed(String s) {
        parser.feed(s.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void eventsEndAtABlankLineWithLfCrlfOrCr() {
        feed("data: one\n\ndata: two\r\n\r\ndata: three\r\rdata:four\n\n");
        assertThat(data).containsExactly("one", "two", "three", "four");
    }

    @Test
    void commentsAndOtherFieldsAreNotData() {
        feed(": OPENROUTER PROCESSING\n\nevent: message\nid: 7\nretry: 100\ndata: x\n\n");
        assertThat(data).containsExactly("x");
        assertThat(comments).containsExactly("OPENROUTER PROCESSING");
    }

    @Test
    void multiLineDataIsJoinedWithNewlines() {
        feed("data: {\"a\":\ndata: 1}\n\n");
        assertThat(data).containsExactly("{\"a\":\n1}");
    }

    @Test
    void utf8SplitAcrossPiecesIsDecodedWhole() {
        byte[] all = "data: héllo 😀 ω\n\n".getBytes(StandardCharsets.UTF_8);
        for (int i = 0; i < all.length; i++) {
            parser.feed(all, i, 1); // one byte at a time: every multi-byte character is split
        }
        assertThat(data).containsExactly("héllo 😀 ω");
    }

    @Test
    void crlfSplitBetweenPiecesCountsOnce() {
        feed("data: a\r");
        feed("\n\r");
        feed("\n");
        assertThat(data).containsExactly("a");
    }

    @Test
    void aLastEventWithoutBlankLineIsDispatchedAtFinish() {
        feed("data: [DONE]");
        assertThat(data).isEmpty();
        parser.finish();
        assertThat(data).containsExactly("[DONE]");
    }

    @Test
    void anOversizedLineIsRefused() {
        assertThatThrownBy(() -> feed("data: " + "x".repeat(2000))).isInstanceOf(IllegalStateException.class);
    }
}
