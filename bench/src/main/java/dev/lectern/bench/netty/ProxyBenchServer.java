package dev.lectern.bench.netty;

import dev.lectern.avatars.AddedAvatarRepository;
import dev.lectern.avatars.AvatarCatalogue;
import dev.lectern.core.auth.Principal;
import dev.lectern.core.auth.Role;
import dev.lectern.core.config.ServerConfig;
import dev.lectern.core.netty.EventLoops;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.UrlSigner;
import dev.lectern.core.store.InMemoryEphemeralStore;
import dev.lectern.core.store.sql.SqlDatabase;
import dev.lectern.http.AuthDecorator;
import dev.lectern.http.BlockingExecutor;
import dev.lectern.http.HttpApp;
import dev.lectern.http.Router;
import dev.lectern.http.api.AvatarApi;
import dev.lectern.http.api.ObjectsApi;
import dev.lectern.http.multipart.MultipartLimits;
import dev.lectern.media.proxy.internal.AvatarProxy;
import dev.lectern.media.AvatarService;
import dev.lectern.server.LecternInitializer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.channel.Channel;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.WriteBufferWaterMark;
import io.netty.channel.group.DefaultChannelGroup;
import io.netty.util.concurrent.GlobalEventExecutor;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Lectern's production HTTP pipeline with the avatar routes, bound on loopback, with a fixed bearer token for the
 * benchmark's one user (the account service is not part of what is measured).
 */
public final class ProxyBenchServer implements AutoCloseable {
    private final EventLoopGroup boss;
    private final EventLoopGroup workers;
    private final AvatarProxy pool;
    private final BlockingExecutor blocking;
    private final SqlDatabase sql;
    private final Channel listener;

    public ProxyBenchServer(ServerConfig config, AvatarService avatars, String token, String userId) {
        boss = EventLoops.newGroup(1, "bench-accept");
        workers = EventLoops.newGroup(config.http().ioThreads(), "bench-io");
        pool = new AvatarProxy(config.avatars().maxIdleBackendConnections(), config.avatars().connectTimeoutMillis());
        blocking = new BlockingExecutor(config.http().blockingThreads(), config.http().blockingQueueSize());
        Router.Builder routes = Router.builder();
        sql = new SqlDatabase(config.storage(), null); // SQLite under the benchmark's temp data dir
        LocalObjectStore objects = new LocalObjectStore(Path.of(config.storage().dataDir()).resolve("objects"),
                new UrlSigner(new byte[32]), ObjectsApi.PREFIX, Clock.systemUTC());
        AvatarCatalogue catalogue = new AvatarCatalogue(config.avatars(),
                new AddedAvatarRepository(sql, Clock.systemUTC()), objects, new InMemoryEphemeralStore());
        new AvatarApi(config.avatars(), avatars, catalogue, pool, MultipartLimits.oneFile(1024 * 1024, 8,
                Path.of(config.storage().dataDir()).resolve("tmp")), blocking).register(routes);
        HttpApp app = new HttpApp(config.http(), routes.build(),
                List.of(new AuthDecorator(AuthDecorator.fixed(token, new Principal(userId, Role.STUDENT, null)))),
                blocking, new SimpleMeterRegistry());
        listener = new ServerBootstrap().group(boss, workers).channel(EventLoops.serverChannel())
                .childOption(ChannelOption.TCP_NODELAY, true)
                .childOption(ChannelOption.WRITE_BUFFER_WATER_MARK, new WriteBufferWaterMark(
                        config.http().writeBufferLowWaterMarkBytes(), config.http().writeBufferHighWaterMarkBytes()))
                .childHandler(new LecternInitializer(config.http(), app, null,
                        new DefaultChannelGroup(GlobalEventExecutor.INSTANCE)))
                .bind("127.0.0.1", 0).syncUninterruptibly().channel();
    }

    public int port() {
        return ((InetSocketAddress) listener.localAddress()).getPort();
    }

    @Override
    public void close() {
        listener.close().syncUninterruptibly();
        boss.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        workers.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
        pool.close();
        blocking.close();
        sql.close();
    }
}
