package dev.lectern.ai.tts;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class InOrderTest {
    private final InOrder<String> order = new InOrder<>();
    private final List<String> handled = new CopyOnWriteArrayList<>();

    @Test
    void resultsCompletingOutOfOrderAreHandledInTheOrderAdded() {
        List<CompletableFuture<String>> results = List.of(new CompletableFuture<>(), new CompletableFuture<>(),
                new CompletableFuture<>());
        List<CompletableFuture<Void>> done = results.stream().map(r -> order.add(r, handled::add)).toList();
        results.get(2).complete("third");
        results.get(1).complete("second");
        assertThat(handled).as("held until the first is done").isEmpty();
        results.get(0).complete("first");
        assertThat(handled).containsExactly("first", "second", "third");
        assertThat(done).allMatch(CompletableFuture::isDone);
    }

    @Test
    void aFailedResultIsSkippedAndReleasesTheNextWhenItFails() {
        CompletableFuture<String> failing = new CompletableFuture<>();
        CompletableFuture<String> next = CompletableFuture.completedFuture("next");
        order.add(failing, handled::add);
        CompletableFuture<Void> nextDone = order.add(next, handled::add);
        assertThat(nextDone).isNotDone();
        failing.completeExceptionally(new TtsException("timed out")); // e.g. the provider's request timeout
        assertThat(handled).containsExactly("next");
        assertThat(nextDone).isCompleted();
    }

    @Test
    void aThrowingHandlerDoesNotStopLaterOnes() {
        order.add(CompletableFuture.completedFuture("a"), v -> {
            throw new IllegalStateException("listener failed");
        });
        CompletableFuture<Void> b = order.add(CompletableFuture.completedFuture("b"), handled::add);
        assertThat(handled).containsExactly("b");
        assertThat(b).isCompleted();
    }
}
