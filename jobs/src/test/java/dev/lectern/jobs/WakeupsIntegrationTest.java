package dev.lectern.jobs;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.core.config.JobsConfig;
import dev.lectern.core.config.StorageConfig;
import dev.lectern.core.store.RedisEphemeralStore;
import dev.lectern.core.store.sql.PostgresTestDatabase;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.testing.TestConfigs;
import dev.lectern.testing.TestServices;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A job queued on one node wakes the workers of another at once. The working node's fallback poll is ten minutes,
 * so only the wake-up path can get the job run within the test's wait.
 */
class WakeupsIntegrationTest {
    private static final Map<String, String> SLOW_POLL = Map.of("LECTERN_JOBS__POLL_MILLIS", "600000");

    @TempDir
    Path data;

    @Test
    void postgresNotifyWakesTheOtherNode() throws Exception {
        try (PostgresTestDatabase database = PostgresTestDatabase.create();
             SqlDatabase a = database.open();
             SqlDatabase b = database.open()) {
            assertPickedUpAcross(a, b, null);
        }
    }

    @Test
    void redisPubSubWakesTheOtherNode() throws Exception {
        TestServices.requireRedis();
        String prefix = "lectern-test-" + UUID.randomUUID() + ":";
        StorageConfig.Redis redis = new StorageConfig.Redis(TestServices.redisUrl(), prefix, 4, 500, 500);
        Map<String, String> env = Map.of("LECTERN_STORAGE__DATA_DIR", data.toString());
        try (RedisEphemeralStore store = new RedisEphemeralStore(redis, null);
             SqlDatabase a = new SqlDatabase(TestConfigs.defaults(env).storage(), null);
             SqlDatabase b = new SqlDatabase(TestConfigs.defaults(env).storage(), null)) {
            assertPickedUpAcross(a, b, store);
        }
    }

    private static void assertPickedUpAcross(SqlDatabase producerDb, SqlDatabase workerDb, RedisEphemeralStore store)
            throws Exception {
        JobsConfig producerConfig = JobEngineContract.config(Map.of("LECTERN_JOBS__WORKERS", "0"));
        JobsConfig workerConfig = JobEngineContract.config(SLOW_POLL);
        CountDownLatch ran = new CountDownLatch(3);
        try (JobEngine producer = new JobEngine(producerDb, producerConfig, store, new SimpleMeterRegistry(), "p");
             JobEngine worker = new JobEngine(workerDb, workerConfig, store, new SimpleMeterRegistry(), "w")) {
            worker.register("test.wake", KindOptions.DEFAULTS, ctx -> {
                ran.countDown();
                return null;
            });
            worker.start();
            producer.start();
            Thread.sleep(300); // the worker has looked once, found nothing and parked for its (long) poll
            for (int i = 0; i < 3; i++) {
                producer.enqueue(NewJob.of("test.wake", "{}"));
                Thread.sleep(100);
            }
            assertThat(ran.await(30, TimeUnit.SECONDS)).isTrue();
        }
    }
}
