package dev.lectern.rooms;

import dev.lectern.signaling.room.RoomEventSink;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes room activity (who took part, every chat message) to the SQL store. Signaling calls it on event loops, so
 * each write is queued to one dedicated writer thread, which keeps the messages of a room in the order they were
 * sent. The queue is bounded; a write that does not fit is logged at ERROR and counted in
 * {@code lectern.transcript.dropped}, never allowed to block an event loop. On close the queue is drained.
 */
public final class SqlRoomEventSink implements RoomEventSink, AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(SqlRoomEventSink.class);

    private final RoomRepository rooms;
    private final ThreadPoolExecutor writer;
    private final Counter dropped;
    private final Counter failed;

    public SqlRoomEventSink(RoomRepository rooms, int queueSize, MeterRegistry meters) {
        this.rooms = rooms;
        this.writer = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS, new ArrayBlockingQueue<>(queueSize), r -> {
            Thread t = new Thread(r, "lectern-transcript-writer");
            t.setDaemon(true);
            return t;
        });
        this.dropped = meters.counter("lectern.transcript.dropped");
        this.failed = meters.counter("lectern.transcript.failed");
        meters.gauge("lectern.transcript.queued", writer.getQueue(), java.util.Collection::size);
    }

    @Override
    public void joined(String roomId, String userId, String peerId) {
        submit("participant", () -> rooms.recordParticipant(roomId, userId, System.currentTimeMillis()));
    }

    @Override
    public void left(String roomId, String userId, String peerId) {
        // participation is recorded on join; leaving changes no history
    }

    @Override
    public void messageStored(String roomId, String userId, String sender, String message, long timestampMillis) {
        messageStored(roomId, userId, sender, message, timestampMillis, null);
    }

    @Override
    public void messageStored(String roomId, String userId, String sender, String message, long timestampMillis,
                              String audioUrl) {
        submit("message", () -> rooms.appendMessage(roomId, userId, sender, message, timestampMillis, audioUrl));
    }

    private void submit(String what, Runnable write) {
        try {
            writer.execute(() -> {
                try {
                    write.run();
                } catch (RuntimeException e) {
                    failed.increment();
                    logger.error("transcript {} could not be stored: {}", what, e.toString());
                }
            });
        } catch (RejectedExecutionException e) {
            dropped.increment();
            logger.error("transcript writer queue full; a room {} was not stored", what);
        }
    }

    /**
     * Waits (blocking, at most {@code timeout}) until every write queued before this call is in the store, so that a
     * room ended right after its last message counts that message. False when the time ran out.
     */
    public boolean awaitWritten(java.time.Duration timeout) {
        java.util.concurrent.CompletableFuture<Void> done = new java.util.concurrent.CompletableFuture<>();
        try {
            writer.execute(() -> done.complete(null));
            done.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return true;
        } catch (RejectedExecutionException | java.util.concurrent.ExecutionException
                 | java.util.concurrent.TimeoutException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    @Override
    public void close() {
        writer.shutdown();
        try {
            if (!writer.awaitTermination(10, TimeUnit.SECONDS)) {
                logger.error("transcript writer did not drain within 10 s; {} writes lost", writer.shutdownNow().size());
            }
        } catch (InterruptedException e) {
            writer.shutdownNow();
            Thread.currentThread().interrupt();
        }
    }
}
