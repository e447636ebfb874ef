package dev.lectern.ai.usage;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.config.AiConfig;
import dev.lectern.core.store.InMemoryEphemeralStore;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Queue;
import java.util.concurrent.Executor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Speech reserved in memory, counted in the store afterwards: the budget holds across answers of one node although the
 * counts land later, and an answer stops speaking once a count shows that another node spent the rest.
 */
class SpeechAllowanceTest {
    private final InMemoryEphemeralStore store = new InMemoryEphemeralStore();
    /** The write-behind executor, run by hand: a count lands only when the test says. */
    private final Queue<Runnable> later = new ArrayDeque<>();
    private final Executor writeBehind = later::add;
    private final UsageMeter meter = new UsageMeter(store, new AiConfig.Usage(60, 0, 20));

    @AfterEach
    void close() {
        store.close();
    }

    private void countNow() {
        Runnable r;
        while ((r = later.poll()) != null) {
            r.run();
        }
    }

    private long stored(String user) {
        return store.get("usage:tts:" + user).map(Long::parseLong).orElse(0L);
    }

    @Test
    void aReservationIsDecidedInMemoryAndCountedAfterwards() {
        SpeechAllowance a = meter.speechAllowance("u1", writeBehind);
        assertThat(a.tryReserve(12)).isTrue();
        assertThat(stored("u1")).as("nothing written on the caller's thread").isZero();
        assertThat(a.tryReserve(12)).as("12 + 12 passes the budget of 20").isFalse();
        assertThat(a.tryReserve(8)).isTrue();
        countNow();
        assertThat(stored("u1")).isEqualTo(20);
        assertThat(meter.speechAllowance("u1", writeBehind).tryReserve(1)).isFalse();
        assertThat(meter.speechAllowance("u2", writeBehind).tryReserve(20)).as("another user's budget").isTrue();
    }

    @Test
    void aNewAnswerSeesWhatAnEarlierOneReservedBeforeItIsCounted() {
        assertThat(meter.speechAllowance("u1", writeBehind).tryReserve(15)).isTrue();
        SpeechAllowance next = meter.speechAllowance("u1", writeBehind); // the count has not landed yet
        assertThat(next.tryReserve(6)).isFalse();
        assertThat(next.tryReserve(5)).isTrue();
        countNow();
        assertThat(stored("u1")).isEqualTo(20);
        assertThat(meter.speechAllowance("u1", writeBehind).tryReserve(1)).isFalse();
    }

    @Test
    void anAnswerStopsSpeakingOnceACountShowsTheBudgetSpentElsewhere() {
        SpeechAllowance a = meter.speechAllowance("u1", writeBehind);
        store.increment("usage:tts:u1", 15, Duration.ofSeconds(60)); // another node's answer, meanwhile
        assertThat(a.tryReserve(10)).as("not known here yet").isTrue();
        countNow();
        assertThat(stored("u1")).isEqualTo(25);
        assertThat(a.tryReserve(1)).isFalse();
    }

    @Test
    void withoutABudgetEverySentenceIsCounted() {
        UsageMeter unlimited = new UsageMeter(store, new AiConfig.Usage(60, 0, 0));
        SpeechAllowance a = unlimited.speechAllowance("u1", writeBehind);
        assertThat(a.tryReserve(1_000)).isTrue();
        assertThat(a.tryReserve(1_000)).isTrue();
        countNow();
        assertThat(stored("u1")).isEqualTo(2_000);
    }

    @Test
    void aFullExecutorLeavesTheSentenceSpokenAndUncounted() {
        SpeechAllowance a = meter.speechAllowance("u1", r -> {
            throw new java.util.concurrent.RejectedExecutionException("full");
        });
        assertThat(a.tryReserve(5)).isTrue();
        assertThat(meter.speechAllowance("u1", writeBehind).tryReserve(20)).as("nothing left pending").isTrue();
    }
}
