package dev.lectern.core.netty;

import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.channel.uring.IoUring;
import io.netty.channel.uring.IoUringIoHandler;
import io.netty.channel.uring.IoUringServerSocketChannel;
import io.netty.channel.uring.IoUringSocketChannel;
import io.netty.util.concurrent.DefaultThreadFactory;
import java.util.Locale;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The transport of every Netty event loop group and channel Lectern makes (server, Redis, LLM and media clients),
 * chosen once per JVM by the system property {@code lectern.transport}:
 * <ul>
 * <li>{@code auto} (the default): native epoll when it is available (Linux), NIO otherwise;</li>
 * <li>{@code epoll}, {@code io_uring}: that native transport, falling back to the {@code auto} choice (with a warning)
 * when it is not available here (another OS or architecture, a kernel without io_uring or with it disabled by
 * {@code kernel.io_uring_disabled}, a seccomp profile that blocks it);</li>
 * <li>{@code nio}: the JDK's selector. {@code -Dlectern.nio=true}, the older switch, means the same.</li>
 * </ul>
 * Groups and channels always come from here together, so that no group of one transport gets channels of another.
 */
public final class EventLoops {
    /** The transports, in the spelling of {@code lectern.transport}. */
    public enum Transport {
        EPOLL, IO_URING, NIO;

        public String configName() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(EventLoops.class);
    private static final Transport TRANSPORT = choose(System.getProperty("lectern.transport", "auto"),
            Boolean.getBoolean("lectern.nio"));

    private EventLoops() {}

    /**
     * The transport for a requested name ({@code auto|epoll|io_uring|nio}); {@code nio} true forces NIO. An unknown
     * name is an error: a typo must not silently run another transport.
     */
    static Transport choose(String requested, boolean nio) {
        if (nio) {
            return Transport.NIO;
        }
        Transport auto = Epoll.isAvailable() ? Transport.EPOLL : Transport.NIO;
        switch (requested.trim().toLowerCase(Locale.ROOT).replace('-', '_')) {
            case "", "auto":
                return auto;
            case "nio":
                return Transport.NIO;
            case "epoll":
                if (!Epoll.isAvailable()) {
                    LOG.warn("lectern.transport=epoll, but epoll is not available here ({}): using {}",
                            Epoll.unavailabilityCause(), auto.configName());
                }
                return auto;
            case "io_uring", "iouring", "uring":
                if (IoUring.isAvailable()) {
                    return Transport.IO_URING;
                }
                LOG.warn("lectern.transport=io_uring, but io_uring is not available here ({}): using {}",
                        IoUring.unavailabilityCause(), auto.configName());
                return auto;
            default:
                throw new IllegalArgumentException("lectern.transport: unknown transport '" + requested
                        + "' (auto, epoll, io_uring or nio)");
        }
    }

    public static Transport transport() {
        return TRANSPORT;
    }

    /** Whether the transport is native epoll. */
    public static boolean epoll() {
        return TRANSPORT == Transport.EPOLL;
    }

    public static String transportName() {
        return TRANSPORT.configName();
    }

    public static EventLoopGroup newGroup(int threads, String name) {
        IoHandlerFactory factory = switch (TRANSPORT) {
            case EPOLL -> EpollIoHandler.newFactory();
            case IO_URING -> IoUringIoHandler.newFactory();
            case NIO -> NioIoHandler.newFactory();
        };
        return new MultiThreadIoEventLoopGroup(threads, new DefaultThreadFactory(name, true), factory);
    }

    public static Class<? extends ServerChannel> serverChannel() {
        return switch (TRANSPORT) {
            case EPOLL -> EpollServerSocketChannel.class;
            case IO_URING -> IoUringServerSocketChannel.class;
            case NIO -> NioServerSocketChannel.class;
        };
    }

    public static Class<? extends SocketChannel> clientChannel() {
        return switch (TRANSPORT) {
            case EPOLL -> EpollSocketChannel.class;
            case IO_URING -> IoUringSocketChannel.class;
            case NIO -> NioSocketChannel.class;
        };
    }
}
