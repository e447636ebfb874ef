package dev.lectern.rooms;

import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.Executor;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Deletes room history older than the retention period, periodically, on the blocking executor. */
public final class RetentionPurger implements AutoCloseable {
    private static final Logger logger = LoggerFactory.getLogger(RetentionPurger.class);

    private final ScheduledExecutorService timer;

    public RetentionPurger(RoomRepository rooms, Duration retention, Duration interval, Executor blocking, Clock clock) {
        this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "lectern-retention");
            t.setDaemon(true);
            return t;
        });
        Runnable purge = () -> {
            try {
                int n = rooms.purgeBefore(clock.millis() - retention.toMillis());
                if (n > 0) {
                    logger.info("purged {} history rows older than {} days", n, retention.toDays());
                }
            } catch (RuntimeException e) {
                logger.warn("history purge failed; will retry", e);
            }
        };
        timer.scheduleWithFixedDelay(() -> {
            try {
                blocking.execute(purge);
            } catch (RejectedExecutionException e) {
                logger.warn("history purge skipped: blocking executor busy");
            }
        }, 1, interval.toMinutes(), TimeUnit.MINUTES);
    }

    @Override
    public void close() {
        timer.shutdownNow();
    }
}
