package dev.lectern.media;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.json.Json;
import dev.lectern.core.store.InMemoryEphemeralStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The manager with real child processes ({@link FakeLiveTalking} in its own JVM) on real ports. */
class LocalAvatarManagerIntegrationTest {
    private static final Duration WAIT = Duration.ofSeconds(60);

    @TempDir
    Path data;

    private final InMemoryEphemeralStore store = new InMemoryEphemeralStore();
    private final AtomicLong clock = new AtomicLong(1_000_000);
    private final List<AvatarEvent> events = new CopyOnWriteArrayList<>();
    private LocalAvatarManager manager;
    private AvatarsConfig config;

    private LocalAvatarManager manager(Consumer<ObjectNode> tweak) {
        config = FakeAvatars.avatars(tweak);
        manager = new LocalAvatarManager(config, data, store, clock::get, false);
        manager.addListener(events::add);
        return manager;
    }

    @AfterEach
    void stop() {
        List<LocalAvatarManager.InstanceView> left = manager == null ? List.of() : manager.instances();
        if (manager != null) {
            manager.close();
        }
        for (LocalAvatarManager.InstanceView v : left) {
            assertThat(ProcessHandle.of(v.pid()).map(ProcessHandle::isAlive).orElse(false))
                    .as("instance %s (pid %d) stopped", v.id(), v.pid()).isFalse();
        }
        store.close();
    }

    private static AvatarAssignment join(java.util.concurrent.CompletionStage<AvatarAssignment> stage) {
        return stage.toCompletableFuture().orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
    }

    private static Throwable failure(java.util.concurrent.CompletionStage<?> stage) {
        try {
            stage.toCompletableFuture().orTimeout(WAIT.toSeconds(), TimeUnit.SECONDS).join();
        } catch (CompletionException e) {
            return e.getCause();
        }
        throw new AssertionError("expected a failure");
    }

    private long pid(String instanceId) {
        return manager.instance(instanceId).orElseThrow().pid();
    }

    @Test
    void startHandsOutAReadyInstanceOnAPortFromTheRangeWithItsGpuAndLog() throws Exception {
        manager(a -> { });
        AvatarAssignment a = join(manager.start("u1", FakeAvatars.ANNA));

        assertThat(a.newInstance()).isTrue();
        assertThat(a.connections()).isEqualTo(1);
        assertThat(a.port()).isBetween(config.portRangeStart(), config.portRangeEnd());
        assertThat(a.gpu()).isEqualTo("0");
        assertThat(LocalAvatarManager.ReadinessProbe.answers(a.port(), "/", 1000)).isTrue();
        assertThat(manager.target("u1")).isEqualTo(new ProxyTarget.Ready(a.port(), a.instanceId()));

        Path log = data.resolve("avatars").resolve(a.instanceId() + ".log");
        await().atMost(WAIT).until(() -> Files.isRegularFile(log) && Files.readString(log).contains("cuda 0"));
        // #19: {host} is loopback, so the process listens there only; no other address of this machine reaches it
        assertThat(Files.readString(log)).contains("avatar fake_int host 127.0.0.1 port " + a.port());
        assertThat(LocalAvatarManager.Exposure.answeringAddress(a.port(), 1000)).isNull();
        // #19: the child gets an allow-listed environment, never this process's secrets and settings
        await().atMost(WAIT).until(() -> Files.readString(log).contains("fake livetalking: env "));
        String env = Files.readString(log).replaceAll("(?s).*fake livetalking: env (.*?) \\..*", "$1");
        assertThat(env.split(",")).allMatch(k -> LocalAvatarManager.ALLOWED_ENV.contains(k) || k.startsWith("CUDA_")
                || k.startsWith("NVIDIA_") || k.startsWith("LC_"), "allow-listed").contains("CUDA_VISIBLE_DEVICES");

        await().atMost(WAIT).until(() -> store.hget(AvatarService.USERS_KEY, "u1")
                .map(v -> v.contains("\"state\":\"ready\"")).orElse(false));
        JsonNode mapping = Json.MAPPER.readTree(store.hget(AvatarService.USERS_KEY, "u1").orElseThrow());
        assertThat(mapping.get("instance_id").asText()).isEqualTo(a.instanceId());
        assertThat(mapping.get("port").asInt()).isEqualTo(a.port());
        assertThat(mapping.get("host").asText()).isEqualTo("127.0.0.1");

        assertThat(manager.disconnect("u1").toCompletableFuture().join()).isTrue();
        assertThat(manager.disconnect("u1").toCompletableFuture().join()).isFalse();
        assertThat(manager.target("u1")).isEqualTo(ProxyTarget.NONE);
        await().atMost(WAIT).until(() -> store.hget(AvatarService.USERS_KEY, "u1").isEmpty());
    }

    @Test
    void usersShareAnInstanceUpToTheLimitThenANewOneStartsOnTheNextGpu() {
        manager(a -> { });
        AvatarAssignment first = join(manager.start("u1", FakeAvatars.ANNA));
        AvatarAssignment second = join(manager.start("u2", FakeAvatars.ANNA));
        assertThat(second.instanceId()).isEqualTo(first.instanceId());
        assertThat(second.newInstance()).isFalse();
        assertThat(second.connections()).isEqualTo(2);

        AvatarAssignment again = join(manager.start("u1", FakeAvatars.ANNA));
        assertThat(again.instanceId()).isEqualTo(first.instanceId());
        assertThat(again.newInstance()).isFalse();
        assertThat(again.connections()).isEqualTo(2);

        AvatarAssignment third = join(manager.start("u3", FakeAvatars.ANNA));
        assertThat(third.instanceId()).isNotEqualTo(first.instanceId());
        assertThat(third.newInstance()).isTrue();
        assertThat(third.gpu()).isEqualTo("1");
        assertThat(third.port()).isNotEqualTo(first.port());
    }

    @Test
    void switchingAvatarReleasesThePreviousInstance() {
        manager(a -> { });
        AvatarAssignment anna = join(manager.start("u1", FakeAvatars.ANNA));
        join(manager.start("u2", FakeAvatars.ANNA));
        AvatarAssignment bob = join(manager.start("u1", FakeAvatars.BOB));

        assertThat(bob.instanceId()).isNotEqualTo(anna.instanceId());
        assertThat(manager.instance(anna.instanceId()).orElseThrow().users()).containsExactly("u2");
        assertThat(manager.instance(bob.instanceId()).orElseThrow().users()).containsExactly("u1");
        assertThat(manager.target("u1")).isEqualTo(new ProxyTarget.Ready(bob.port(), bob.instanceId()));
    }

    @Test
    void anInstanceWithoutUsersIsStoppedAfterTheIdleTimeAndItsPortReused() {
        manager(a -> a.put("idleStopMillis", 60_000).put("portRangeEnd", a.get("portRangeStart").asInt()));
        AvatarAssignment a = join(manager.start("u1", FakeAvatars.ANNA));
        long pid = pid(a.instanceId());
        manager.disconnect("u1");

        clock.addAndGet(59_999);
        manager.reapIdle();
        assertThat(manager.instance(a.instanceId())).isPresent();

        clock.addAndGet(1);
        manager.reapIdle();
        await().atMost(WAIT).until(() -> manager.instance(a.instanceId()).isEmpty());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(events).extracting(AvatarEvent::type).containsExactly(AvatarEvent.Type.IDLE_STOPPED);

        // the only port in the range is free again
        AvatarAssignment next = join(manager.start("u2", FakeAvatars.BOB));
        assertThat(next.port()).isEqualTo(a.port());
    }

    @Test
    void aUserJoiningBeforeTheIdleTimeKeepsTheInstance() {
        manager(a -> a.put("idleStopMillis", 60_000));
        AvatarAssignment a = join(manager.start("u1", FakeAvatars.ANNA));
        manager.disconnect("u1");
        clock.addAndGet(30_000);
        join(manager.start("u2", FakeAvatars.ANNA));
        clock.addAndGet(60_000);
        manager.reapIdle();
        assertThat(manager.instance(a.instanceId()).orElseThrow().state()).isEqualTo("ready");
    }

    @Test
    void aKilledProcessIsReportedToItsUsersAndRestartedOnTheNextStart() {
        manager(a -> { });
        AvatarAssignment a = join(manager.start("u1", FakeAvatars.ANNA));
        join(manager.start("u2", FakeAvatars.ANNA));
        ProcessHandle.of(pid(a.instanceId())).orElseThrow().destroyForcibly();

        await().atMost(WAIT).until(() -> !events.isEmpty());
        AvatarEvent e = events.get(0);
        assertThat(e.type()).isEqualTo(AvatarEvent.Type.CRASHED);
        assertThat(e.users()).containsExactlyInAnyOrder("u1", "u2");
        assertThat(manager.target("u1")).isEqualTo(new ProxyTarget.Crashed(FakeAvatars.ANNA));
        assertThat(manager.instances()).isEmpty();
        await().atMost(WAIT).until(() -> store.hget(AvatarService.USERS_KEY, "u1")
                .map(v -> v.contains("\"state\":\"crashed\"")).orElse(false));

        AvatarAssignment restarted = join(manager.start("u1", FakeAvatars.ANNA));
        assertThat(restarted.newInstance()).isTrue();
        assertThat(restarted.instanceId()).isNotEqualTo(a.instanceId());
        assertThat(manager.target("u1")).isInstanceOf(ProxyTarget.Ready.class);
        assertThat(manager.target("u2")).isEqualTo(new ProxyTarget.Crashed(FakeAvatars.ANNA));
    }

    @Test
    void anAvatarThatCrashesByItselfIsDetected() {
        manager(a -> { });
        AvatarAssignment a = join(manager.start("u1", FakeAvatars.CRASHY));
        assertThat(a.newInstance()).isTrue();
        await().atMost(WAIT).until(() -> !events.isEmpty());
        assertThat(events.get(0).type()).isEqualTo(AvatarEvent.Type.CRASHED);
        assertThat(events.get(0).instanceId()).isEqualTo(a.instanceId());
        assertThat(manager.target("u1")).isInstanceOf(ProxyTarget.Crashed.class);
    }

    @Test
    void anInstanceThatNeverBecomesReadyFailsTheStartCleanlyAndIsStopped() {
        // the ready deadline follows the real clock here
        config = FakeAvatars.avatars(a -> a.put("readyTimeoutMillis", 1500));
        manager = new LocalAvatarManager(config, data, store);
        var stage = manager.start("u1", FakeAvatars.GHOST);
        await().atMost(WAIT).until(() -> manager.instances().stream().anyMatch(v -> v.pid() > 0));
        long pid = manager.instances().get(0).pid();
        Throwable t = failure(stage);
        assertThat(t).isInstanceOf(AvatarException.class);
        assertThat(((AvatarException) t).kind()).isEqualTo(AvatarException.Kind.NOT_READY);
        await().atMost(WAIT).until(() -> manager.instances().isEmpty());
        assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).isFalse();
        assertThat(manager.target("u1")).isEqualTo(ProxyTarget.NONE);
    }

    @Test
    void refusesUnknownAndInactiveAvatarsAndWhenFull() {
        manager(a -> a.put("maxInstancesPerGpu", 1).put("maxWaiting", 0).putArray("gpus").add("0"));
        assertThat(((AvatarException) failure(manager.start("u1", "nobody"))).kind())
                .isEqualTo(AvatarException.Kind.UNKNOWN_AVATAR);
        assertThat(((AvatarException) failure(manager.start("u1", FakeAvatars.RETIRED))).kind())
                .isEqualTo(AvatarException.Kind.INACTIVE);
        join(manager.start("u1", FakeAvatars.ANNA));
        AvatarException full = (AvatarException) failure(manager.start("u2", FakeAvatars.BOB));
        assertThat(full.kind()).isEqualTo(AvatarException.Kind.NO_CAPACITY);
        assertThat(full.retryAfterSeconds()).isPositive();
        assertThat(manager.target("u2")).isEqualTo(ProxyTarget.NONE);
    }

    /** #19: no 503 forever; a start waits in line (bounded) and gets the first slot that frees up. */
    @Test
    void aFullManagerLetsStartsWaitInLineAndHandsTheFreedSlotOn() {
        manager(a -> a.put("maxInstancesPerGpu", 1).put("maxUsersPerInstance", 1).put("maxWaiting", 1)
                .putArray("gpus").add("0"));
        AvatarAssignment anna = join(manager.start("u1", FakeAvatars.ANNA));
        java.util.concurrent.CompletableFuture<AvatarAssignment> second =
                manager.start("u2", FakeAvatars.BOB).toCompletableFuture();
        assertThat(manager.waiting()).isEqualTo(1);
        assertThat(second).isNotDone();
        assertThat(manager.target("u2")).isEqualTo(ProxyTarget.NONE);
        AvatarException full = (AvatarException) failure(manager.start("u3", FakeAvatars.ANNA)); // the line is full
        assertThat(full.kind()).isEqualTo(AvatarException.Kind.NO_CAPACITY);
        assertThat(full.retryAfterSeconds()).isPositive();

        manager.disconnect("u1"); // its instance is idle: with a start waiting it is stopped now, not when idle long
        AvatarAssignment bob = join(second);
        assertThat(bob.avatarName()).isEqualTo(FakeAvatars.BOB);
        assertThat(bob.newInstance()).isTrue();
        assertThat(manager.instance(anna.instanceId())).isEmpty();
        assertThat(manager.waiting()).isZero();
        assertThat(manager.target("u2")).isEqualTo(new ProxyTarget.Ready(bob.port(), bob.instanceId()));
    }

    @Test
    void aStartWaitingPastTheBoundIsRefusedWithRetryAfter() {
        manager(a -> a.put("maxInstancesPerGpu", 1).put("maxUsersPerInstance", 1).put("maxWaitMillis", 300)
                .putArray("gpus").add("0"));
        join(manager.start("u1", FakeAvatars.ANNA));
        AvatarException e = (AvatarException) failure(manager.start("u2", FakeAvatars.BOB));
        assertThat(e.kind()).isEqualTo(AvatarException.Kind.NO_CAPACITY);
        assertThat(e.retryAfterSeconds()).isPositive();
        assertThat(e.getMessage()).contains("no avatar slot became free");
        assertThat(manager.waiting()).isZero();
        assertThat(manager.target("u2")).isEqualTo(ProxyTarget.NONE);
    }

    /** #19: a slot is a lease that runs out without proxy or voice activity. */
    @Test
    void theLeaseRunsOutWithoutActivityAndActivityRenewsIt() {
        manager(a -> a.put("leaseMillis", 60_000));
        AvatarAssignment a = join(manager.start("u1", FakeAvatars.ANNA));
        clock.addAndGet(40_000);
        manager.touch("u1");
        clock.addAndGet(40_000);
        manager.reapIdle();
        assertThat(manager.target("u1")).isEqualTo(new ProxyTarget.Ready(a.port(), a.instanceId()));
        clock.addAndGet(20_000);
        manager.reapIdle();
        assertThat(manager.target("u1")).isEqualTo(ProxyTarget.NONE);
        assertThat(manager.currentAvatar("u1")).isEmpty();
        assertThat(manager.instance(a.instanceId()).orElseThrow().users()).isEmpty();
        await().atMost(WAIT).until(() -> store.hget(AvatarService.USERS_KEY, "u1").isEmpty());
    }

    /** #19: switching avatars over and over cannot leave one user's idle processes holding the slots. */
    @Test
    void aUserSwitchingAvatarsKeepsAtMostTheirCapOfProcesses() {
        manager(a -> a.put("maxInstancesPerUser", 1));
        AvatarAssignment anna = join(manager.start("u1", FakeAvatars.ANNA));
        AvatarAssignment bob = join(manager.start("u1", FakeAvatars.BOB));
        await().atMost(WAIT).until(() -> manager.instance(anna.instanceId()).isEmpty());
        assertThat(manager.instance(bob.instanceId())).isPresent();
        assertThat(manager.instances()).hasSize(1);
    }

    /** Two managers of one JVM (two nodes) over the same range: a port is free to both until its process binds it. */
    @Test
    void twoManagersOverOneRangeNeverHandOutTheSamePort() {
        manager(a -> { });
        LocalAvatarManager other = new LocalAvatarManager(config, data.resolve("other"), store, clock::get, false);
        try {
            var first = manager.start("u1", FakeAvatars.ANNA);
            var second = other.start("u2", FakeAvatars.ANNA);
            assertThat(join(first).port()).isNotEqualTo(join(second).port());
        } finally {
            other.close();
        }
    }

    /** #19: start-up warns about anything answering in the avatar port range on another address of the machine. */
    @Test
    void theStartUpScanFindsAListenerInTheRangeOnAnotherAddress() throws Exception {
        java.net.InetAddress address = LocalAvatarManager.Exposure.nonLoopback().stream()
                .filter(x -> x instanceof java.net.Inet4Address).findFirst().orElse(null);
        org.junit.jupiter.api.Assumptions.assumeTrue(address != null, "no non-loopback IPv4 address here");
        config = FakeAvatars.avatars(a -> { });
        int port = config.portRangeStart() + 7;
        try (java.net.ServerSocket exposed = new java.net.ServerSocket(port, 50, address)) {
            manager = new LocalAvatarManager(config, data, store, clock::get, false);
            assertThat(manager.exposureScan().get(60, TimeUnit.SECONDS))
                    .containsExactly(address.getHostAddress() + ":" + port);
        }
    }

    @Test
    void closeStopsEveryChildAndRefusesNewStarts() {
        manager(a -> { });
        AvatarAssignment a = join(manager.start("u1", FakeAvatars.ANNA));
        AvatarAssignment b = join(manager.start("u2", FakeAvatars.BOB));
        var starting = manager.start("u3", FakeAvatars.GHOST);
        await().atMost(WAIT).until(() -> manager.instances().stream().allMatch(v -> v.pid() > 0));
        List<Long> pids = manager.instances().stream().map(LocalAvatarManager.InstanceView::pid).toList();
        assertThat(pids).hasSize(3);

        manager.close();

        for (long pid : pids) {
            assertThat(ProcessHandle.of(pid).map(ProcessHandle::isAlive).orElse(false)).as("pid %d", pid).isFalse();
        }
        assertThat(((AvatarException) failure(starting)).kind()).isEqualTo(AvatarException.Kind.SHUTTING_DOWN);
        assertThat(manager.instances()).isEmpty();
        assertThat(LocalAvatarManager.PortCheck.isFree(a.port())).isTrue();
        assertThat(LocalAvatarManager.PortCheck.isFree(b.port())).isTrue();
        assertThatThrownBy(() -> join(manager.start("u1", FakeAvatars.ANNA)))
                .hasCauseInstanceOf(AvatarException.class);
    }
}
