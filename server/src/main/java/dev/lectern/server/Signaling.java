package dev.lectern.server;

import dev.lectern.core.auth.TokenVerifier;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.config.SignalingConfig;
import dev.lectern.signaling.OriginPolicy;
import dev.lectern.signaling.SignalingService;
import dev.lectern.signaling.cluster.ClusterBus;
import dev.lectern.signaling.conformance.ConformanceFixture;
import dev.lectern.signaling.engineio.EngineIoServer;
import dev.lectern.signaling.room.IceServers;
import dev.lectern.signaling.room.RoomAccess;
import dev.lectern.signaling.room.RoomEventSink;
import dev.lectern.signaling.room.RoomService;
import dev.lectern.signaling.socketio.SocketIoServer;
import dev.lectern.signaling.transport.SignalingEndpoints;
import dev.lectern.signaling.transport.SignalingInitializer;
import io.micrometer.core.instrument.MeterRegistry;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/** Builds the signaling endpoints for the composition root: production rooms, or the conformance fixture. */
public final class Signaling {
    private final SignalingEndpoints endpoints;
    private final SignalingService service;

    private Signaling(SignalingEndpoints endpoints, SignalingService service) {
        this.endpoints = endpoints;
        this.service = service;
    }

    /**
     * @param access who may join which room, unless {@code signaling.adHocRooms} lets anyone into any id
     * @param guests guest mode's cookies, or null when {@code accounts.guestAccess} is off
     */
    static Signaling production(ServerConfig config, TokenVerifier tokens, RoomEventSink sink, IceServers ice,
            ClusterBus bus, MeterRegistry meters, RoomAccess access, dev.lectern.core.auth.GuestCookies guests) {
        SignalingConfig sc = config.signaling();
        SignalingService service = new SignalingService(sc, tokens,
                new RoomService(sc, sink, ice, Clock.systemUTC(), bus, sc.adHocRooms() ? RoomAccess.AD_HOC : access),
                guests == null ? null : guests::guestOf);
        meters.gauge("lectern.signaling.sessions", service, SignalingService::connections);
        meters.gauge("lectern.signaling.rooms", service.rooms(), RoomService::roomCount);
        meters.gauge("lectern.signaling.recoverable", service, SignalingService::recoverableSockets);
        meters.more().counter("lectern.signaling.slow_consumers", List.of(), service.slowConsumers(), AtomicLong::get);
        SignalingEndpoints endpoints = new SignalingEndpoints(Map.of("/socket.io/", service.engineIo()), service,
                new OriginPolicy(config.http().cors().allowedOrigins()), sc.maxPayloadBytes(),
                sc.pingIntervalMillis(), sc.pingTimeoutMillis());
        return new Signaling(endpoints, service);
    }

    static Signaling conformance(ServerConfig config) {
        SignalingConfig sc = config.signaling();
        AtomicLong slow = new AtomicLong();
        SocketIoServer sio = new SocketIoServer(ConformanceFixture.namespaces(), ConformanceFixture.CONNECT_TIMEOUT_MILLIS);
        EngineIoServer socketIoEngine = new EngineIoServer(ConformanceFixture.PING_INTERVAL_MILLIS,
                ConformanceFixture.PING_TIMEOUT_MILLIS, sc.upgradeTimeoutMillis(), ConformanceFixture.MAX_PAYLOAD_BYTES,
                sc.outboundQueueLimit(), slow, sio::attach);
        EngineIoServer engineIo = new EngineIoServer(ConformanceFixture.PING_INTERVAL_MILLIS,
                ConformanceFixture.PING_TIMEOUT_MILLIS, sc.upgradeTimeoutMillis(), ConformanceFixture.MAX_PAYLOAD_BYTES,
                sc.outboundQueueLimit(), slow, ConformanceFixture::echo);
        SignalingEndpoints endpoints = new SignalingEndpoints(
                Map.of("/socket.io/", socketIoEngine, "/engine.io/", engineIo), null, new OriginPolicy(List.of("*")),
                ConformanceFixture.MAX_PAYLOAD_BYTES, ConformanceFixture.PING_INTERVAL_MILLIS,
                ConformanceFixture.PING_TIMEOUT_MILLIS);
        return new Signaling(endpoints, null);
    }

    /** The signaling part of every connection's pipeline; {@code @Sharable}, so one serves every connection. */
    SignalingInitializer initializer() {
        return new SignalingInitializer(endpoints);
    }

    /** The room service (null in conformance mode). */
    public SignalingService service() {
        return service;
    }

    void closeAll() {
        endpoints.engineIo().values().forEach(EngineIoServer::closeAll);
    }
}
