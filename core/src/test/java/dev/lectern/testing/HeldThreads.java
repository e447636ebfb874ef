package dev.lectern.testing;

import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * Every thread of a bounded executor kept busy until {@link #close}: what a test uses to show that a path does not
 * wait for that executor (a saturated blocking executor under load).
 */
public final class HeldThreads implements AutoCloseable {
    private final CountDownLatch release = new CountDownLatch(1);

    private HeldThreads() {}

    /** Holds {@code threads} threads of {@code executor}; returns once all of them are held (or fails after 30 s). */
    public static HeldThreads hold(Executor executor, int threads) throws InterruptedException {
        HeldThreads h = new HeldThreads();
        CountDownLatch held = new CountDownLatch(threads);
        for (int i = 0; i < threads; i++) {
            executor.execute(() -> {
                held.countDown();
                try {
                    h.release.await();
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            });
        }
        if (!held.await(30, TimeUnit.SECONDS)) {
            h.close();
            throw new IllegalStateException("the executor's threads could not all be held");
        }
        return h;
    }

    @Override
    public void close() {
        release.countDown();
    }
}
