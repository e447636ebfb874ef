package dev.lectern.http.sse;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.LastHttpContent;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The SSE writer on an EmbeddedChannel with a virtual clock: framing, demand, keep-alives and cancellation. */
class SseHandlerTest {
    private final EmbeddedChannel ch = new EmbeddedChannel(new SseHandler());
    private final Recorded stream = new Recorded();

    /** A stream that records what the writer asks of it. */
    private static final class Recorded implements EventStream {
        EventStream.Subscriber subscriber;
        final List<Long> requests = new ArrayList<>();
        final List<SseEvent> written = new ArrayList<>();
        boolean cancelled;

        @Override
        public void subscribe(Subscriber s) {
            subscriber = s;
            s.onEvent(SseEvent.of("{\"status\":\"started\"}".getBytes(UTF_8)));
        }

        @Override
        public void request(long n) {
            requests.add(n);
        }

        @Override
        public void cancel() {
            cancelled = true;
        }

        @Override
        public void written(SseEvent event) {
            written.add(event);
        }
    }

    @AfterEach
    void finish() {
        assertThat(ch.finishAndReleaseAll()).isFalse();
    }

    private String nextChunk() {
        HttpContent c = ch.readOutbound();
        try {
            return c.content().toString(UTF_8);
        } finally {
            c.release();
        }
    }

    private void start() {
        ch.freezeTime();
        ch.pipeline().fireUserEventTriggered(new SseHandler.Start(stream, "req-1", 15_000));
        HttpResponse head = ch.readOutbound();
        assertThat(head.headers().get(HttpHeaderNames.CONTENT_TYPE)).isEqualTo("text/event-stream; charset=utf-8");
        assertThat(head.headers().get(HttpHeaderNames.CACHE_CONTROL)).isEqualTo("no-cache");
        assertThat(HttpUtil.isTransferEncodingChunked(head)).isTrue();
        assertThat(nextChunk()).isEqualTo("id: 1\ndata: {\"status\":\"started\"}\n\n");
    }

    @Test
    void eventsAreFramedWithIdsTimedOnesReportedAndTheEndEndsTheBody() {
        start();
        stream.subscriber.onEvent(new SseEvent("{\"n\":1}".getBytes(UTF_8), System.nanoTime()));
        stream.subscriber.onEvent(SseEvent.of("{\"n\":2}".getBytes(UTF_8)));
        assertThat(nextChunk()).isEqualTo("id: 2\ndata: {\"n\":1}\n\n");
        assertThat(nextChunk()).isEqualTo("id: 3\ndata: {\"n\":2}\n\n");
        assertThat(stream.written).hasSize(1);
        stream.subscriber.onEnd();
        assertThat((Object) ch.readOutbound()).isEqualTo(LastHttpContent.EMPTY_LAST_CONTENT);
        ch.close();
        assertThat(stream.cancelled).isFalse(); // it had ended
    }

    @Test
    void demandComesInAWindowThatReopensAsEventsAreWritten() {
        start();
        assertThat(stream.requests).containsExactly((long) SseHandler.WINDOW);
        for (int i = 0; i < SseHandler.WINDOW / 2; i++) {
            stream.subscriber.onEvent(SseEvent.of("{}".getBytes(UTF_8)));
            nextChunk();
        }
        // eight events leave eight outstanding: the window is topped up to sixteen
        assertThat(stream.requests).containsExactly((long) SseHandler.WINDOW, (long) SseHandler.WINDOW / 2);
    }

    @Test
    void anIdleStreamGetsKeepAliveCommentsAndAClosedConnectionCancelsIt() {
        start();
        ch.advanceTimeBy(15, TimeUnit.SECONDS);
        ch.runScheduledPendingTasks();
        assertThat(nextChunk()).isEqualTo(": keepalive\n\n");
        ch.close();
        assertThat(stream.cancelled).isTrue();
    }

    @Test
    void eventsThatComeBeforeTheStartOfANewStreamDoNotLeakIntoIt() {
        start();
        EventStream.Subscriber old = stream.subscriber;
        old.onEnd();
        assertThat((Object) ch.readOutbound()).isEqualTo(LastHttpContent.EMPTY_LAST_CONTENT);
        old.onEvent(SseEvent.of("{\"late\":true}".getBytes(UTF_8))); // after its end: dropped
        assertThat((Object) ch.readOutbound()).isNull();
    }
}
