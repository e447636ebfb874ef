package dev.lectern.core.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.EventLoop;
import io.netty.channel.EventLoopGroup;
import io.netty.util.concurrent.SingleThreadEventExecutor;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Hand-overs between event loops go once per turn, in order, and never silently vanish. */
class HandOffTest {
    private final EventLoopGroup group = EventLoops.newGroup(2, "handoff-test");
    private final EventLoop a = group.next();
    private final EventLoop b = group.next();

    @AfterEach
    void stop() {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }

    @Test
    void whatOneLoopHandsToAnotherInOneTurnRunsThereInOrderAsOneTask() throws Exception {
        assertThat(a).isNotSameAs(b);
        List<Integer> ran = Collections.synchronizedList(new ArrayList<>());
        List<Boolean> onB = Collections.synchronizedList(new ArrayList<>());
        CountDownLatch done = new CountDownLatch(1);
        CompletableFuture<Integer> ranBeforeTheTurnEnded = new CompletableFuture<>();
        CompletableFuture<Integer> queuedOnB = new CompletableFuture<>();
        a.execute(() -> {
            for (int i = 0; i < 100; i++) {
                int n = i;
                HandOff.execute(b, () -> {
                    ran.add(n);
                    onB.add(b.inEventLoop());
                    if (n == 0) {
                        // the other 99 came over in the same task: none waits in b's queue as a task of its own
                        queuedOnB.complete(((SingleThreadEventExecutor) b).pendingTasks());
                    }
                });
            }
            HandOff.execute(b, done::countDown);
            ranBeforeTheTurnEnded.complete(ran.size()); // the batch leaves after this turn's work on a
        });
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
        assertThat(ranBeforeTheTurnEnded.get(1, TimeUnit.SECONDS)).isZero();
        assertThat(ran).hasSize(100);
        for (int i = 0; i < 100; i++) {
            assertThat(ran.get(i)).isEqualTo(i);
        }
        assertThat(onB).containsOnly(true);
        assertThat(queuedOnB.get(1, TimeUnit.SECONDS)).isZero();
    }

    @Test
    void aFailingTaskDoesNotStopTheRestOfItsBatch() throws Exception {
        CountDownLatch done = new CountDownLatch(1);
        a.execute(() -> {
            HandOff.execute(b, () -> {
                throw new IllegalStateException("expected in this test");
            });
            HandOff.execute(b, done::countDown);
        });
        assertThat(done.await(5, TimeUnit.SECONDS)).isTrue();
    }

    @Test
    void offAnEventLoopATaskIsExecutedAtOnceAndARefusedOneIsReported() throws Exception {
        CountDownLatch ran = new CountDownLatch(1);
        HandOff.execute(b, ran::countDown);
        assertThat(ran.await(5, TimeUnit.SECONDS)).isTrue();

        EventLoopGroup gone = EventLoops.newGroup(1, "handoff-gone");
        EventLoop target = gone.next();
        gone.shutdownGracefully(0, 0, TimeUnit.SECONDS).syncUninterruptibly();
        AtomicInteger refused = new AtomicInteger();
        HandOff.execute(target, () -> { }, refused::incrementAndGet);
        assertThat(refused).hasValue(1);
        CountDownLatch refusedFromLoop = new CountDownLatch(1);
        a.execute(() -> HandOff.execute(target, () -> { }, refusedFromLoop::countDown));
        assertThat(refusedFromLoop.await(5, TimeUnit.SECONDS)).isTrue();
    }
}
