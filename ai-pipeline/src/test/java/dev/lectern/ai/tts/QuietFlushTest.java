package dev.lectern.ai.tts;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.channel.embedded.EmbeddedChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The quiet period on a frozen event-loop clock: time moves only when the test moves it. */
class QuietFlushTest {
    private final List<String> released = new ArrayList<>();
    private EmbeddedChannel loop;
    private QuietFlush flush;

    @BeforeEach
    void setUp() {
        loop = new EmbeddedChannel();
        loop.freezeTime();
        flush = new QuietFlush(new SentenceChunker(1, 250, 0), 30, loop.eventLoop(), released::add);
    }

    @AfterEach
    void tearDown() {
        assertThat(loop.finishAndReleaseAll()).isFalse();
    }

    private void advance(long millis) {
        loop.advanceTimeBy(millis, TimeUnit.MILLISECONDS);
        loop.runScheduledPendingTasks();
    }

    @Test
    void aCompleteSentenceFollowedByAPauseIsReleasedAtOnce() {
        // the scenario: the model writes one sentence, then pauses; no next token is needed
        flush.feed("The derivative measures how fast a quantity changes over time. ");
        assertThat(released).containsExactly("The derivative measures how fast a quantity changes over time.");
    }

    @Test
    void aSentenceEndingAtTheLastTokenIsReleasedAfterTheQuietPeriod() {
        flush.feed("The derivative measures how fast");
        flush.feed(" a quantity changes over time.");
        advance(29);
        assertThat(released).isEmpty();
        advance(1);
        assertThat(released).containsExactly("The derivative measures how fast a quantity changes over time.");
        flush.feed(" Next");
        advance(1000);
        assertThat(released).hasSize(1); // no sentence end pending: no timer
        flush.finish();
        assertThat(released).containsExactly("The derivative measures how fast a quantity changes over time.",
                "Next");
    }

    @Test
    void newTextCancelsAndRestartsTheQuietPeriod() {
        flush.feed("Ask Dr.");
        advance(20);
        flush.feed(" Smith");
        advance(30);
        assertThat(released).isEmpty();
        flush.feed(" about it.");
        advance(20);
        flush.feed("。");
        advance(20);
        assertThat(released).isEmpty();
        advance(10);
        assertThat(released).containsExactly("Ask Dr. Smith about it.。");
    }

    @Test
    void nothingIsReleasedAfterTheAnswerEndsOrIsCancelled() {
        flush.feed("First part.");
        flush.finish();
        assertThat(released).containsExactly("First part.");
        advance(100);
        flush.feed("More. ");
        assertThat(released).hasSize(1);

        QuietFlush cancelled = new QuietFlush(new SentenceChunker(1, 250, 0), 30, loop.eventLoop(), released::add);
        cancelled.feed("Interrupted here.");
        cancelled.cancel();
        advance(100);
        cancelled.finish();
        assertThat(released).containsExactly("First part.");
    }

    @Test
    void zeroTurnsTheQuietPeriodOff() {
        QuietFlush off = new QuietFlush(new SentenceChunker(1, 250, 0), 0, loop.eventLoop(), released::add);
        off.feed("Wait for it.");
        advance(10_000);
        assertThat(released).isEmpty();
        off.finish();
        assertThat(released).containsExactly("Wait for it.");
    }
}
