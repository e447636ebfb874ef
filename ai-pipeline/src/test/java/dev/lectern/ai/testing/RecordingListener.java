package dev.lectern.ai.testing;

import dev.lectern.ai.llm.ChatStreamListener;
import dev.lectern.ai.llm.LlmException;
import dev.lectern.ai.llm.Usage;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;

/** Records what a model stream delivered; {@link #awaitEnd} waits for its one terminal signal. */
public final class RecordingListener implements ChatStreamListener {
    public final List<String> texts = new CopyOnWriteArrayList<>();
    public volatile String finishReason;
    public volatile Usage usage;
    public volatile LlmException error;
    private final CountDownLatch end = new CountDownLatch(1);
    private final java.util.concurrent.atomic.AtomicInteger terminals = new java.util.concurrent.atomic.AtomicInteger();

    @Override
    public void onText(String text, long receivedNanos) {
        texts.add(text);
    }

    @Override
    public void onComplete(String finishReason, Usage usage) {
        this.finishReason = finishReason;
        this.usage = usage;
        terminals.incrementAndGet();
        end.countDown();
    }

    @Override
    public void onError(LlmException error) {
        this.error = error;
        terminals.incrementAndGet();
        end.countDown();
    }

    public RecordingListener awaitEnd() throws InterruptedException {
        if (!end.await(30, TimeUnit.SECONDS)) {
            throw new AssertionError("the stream never ended; texts so far: " + texts);
        }
        return this;
    }

    public int terminals() {
        return terminals.get();
    }

    public String text() {
        return String.join("", texts);
    }
}
