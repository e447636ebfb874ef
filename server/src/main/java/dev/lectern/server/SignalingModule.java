package dev.lectern.server;

import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.ClusterConfig;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.health.HealthCheck;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.store.RedisEphemeralStore;
import dev.lectern.http.Router;
import dev.lectern.signaling.cluster.ClusterBus;
import dev.lectern.signaling.cluster.LocalClusterBus;
import dev.lectern.signaling.cluster.internal.RedisClusterBus;
import dev.lectern.signaling.engineio.EngineIoServer;
import dev.lectern.signaling.room.IceServers;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.EventLoopGroup;
import java.util.List;

/**
 * The signaling feature's wiring: the cluster bus (single node, or rooms across nodes over Redis), the signaling
 * endpoints (production rooms fed to the room tutor, or the conformance fixture) and the notice to users whose avatar
 * crashed. Signaling has no REST routes: its handlers join the connection pipeline ({@link Signaling#initializer()}).
 */
final class SignalingModule implements FeatureModule {
    private final ClusterBus bus;
    private final Signaling signaling;

    /** @param guests guest mode's signed cookies (a browser's REST guest is its sockets' guest), or null: off */
    SignalingModule(ServerConfig config, boolean conformance, TokenVerifier verifier,
                    dev.lectern.core.auth.GuestCookies guests, TutoringModule tutoring, InfrastructureModule infra,
                    EventLoopGroup loops, MeterRegistry meters, Closeables closeables) {
        this.bus = closeables.add(clusterBus(config, infra.ephemeral, loops));
        if (bus instanceof RedisClusterBus redisBus) {
            meters.more().counter("lectern.cluster.publish_dropped", List.of(), redisBus, RedisClusterBus::dropped);
            meters.more().counter("lectern.cluster.out_of_order", List.of(), redisBus, RedisClusterBus::outOfOrder);
            meters.gauge("lectern.cluster.publish_held", List.of(), redisBus, RedisClusterBus::held);
            meters.gauge("lectern.cluster.publish_unanswered", List.of(), redisBus, RedisClusterBus::unanswered);
        }
        this.signaling = conformance ? Signaling.conformance(config) : Signaling.production(config, verifier,
                tutoring.tutor(), IceServers.of(tutoring.ice()), bus, meters, tutoring.admission(), guests);
        if (signaling.service() != null) {
            // Engine.IO handshakes count against the REST API's per-address limit (issue #19 item 7)
            dev.lectern.http.RateLimitDecorator perAddress = new dev.lectern.http.RateLimitDecorator(infra.ephemeral,
                    infra.blocking, dev.lectern.http.RateLimitDecorator.Scope.ADDRESS,
                    config.accounts().rateLimit().perAddressPerMinute(), infra.clock);
            signaling.service().engineIo().handshakeGate(address ->
                    perAddress.count(dev.lectern.core.net.ClientAddresses.limitKey(address)));
            tutoring.tutor().attach(signaling.service().rooms()::broadcast);
            closeables.add(new AvatarCrashNotifier(infra.ephemeral, signaling.service()));
            closeables.add(new RevocationNotifier(infra.ephemeral, signaling.service()));
        }
    }

    /** The single-node bus, or rooms across nodes over the ephemeral store's Redis ({@code cluster.mode: redis}). */
    private static ClusterBus clusterBus(ServerConfig config, EphemeralStore ephemeral, EventLoopGroup loops) {
        ClusterConfig cc = config.cluster();
        String nodeId = cc.nodeId().isEmpty() ? EngineIoServer.newId() : cc.nodeId();
        if (!cc.redis()) {
            return new LocalClusterBus(nodeId);
        }
        if (!(ephemeral instanceof RedisEphemeralStore redis)) {
            throw new StartupException("cluster.mode: redis needs storage.redis.url (the Redis the nodes share)", null);
        }
        // its pub/sub connections on one of the server's loops: relays sent or received there need no thread hop
        return new RedisClusterBus(redis, loops.next(), nodeId, cc.heartbeatIntervalMillis(), cc.heartbeatTtlMillis(),
                cc.publishQueueLimit(), cc.outageBufferBytes(), cc.outageBufferMillis());
    }

    Signaling signaling() {
        return signaling;
    }

    ClusterBus bus() {
        return bus;
    }

    /** Who is connected to a room now, as signaling sees it (nobody in conformance mode). */
    List<String> onlineUsers(String roomId) {
        return signaling.service() == null ? List.of() : signaling.service().rooms().usersIn(roomId);
    }

    @Override
    public void registerRoutes(Router.Builder routes) {
        // none: the signaling endpoints are handlers of the connection pipeline
    }

    @Override
    public List<HealthCheck> healthChecks() {
        return bus instanceof HealthCheck check ? List.of(check) : List.of();
    }
}
