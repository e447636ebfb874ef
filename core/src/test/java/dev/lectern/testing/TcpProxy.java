package dev.lectern.testing;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A TCP relay in front of a real service (PostgreSQL, Redis) that a test can cut — every connection reset and the
 * port closed, as if the host went away — and later resume on the same port, or whose open connections it can turn
 * into black holes that swallow bytes without closing (a silent network partition). Test code only; one thread per
 * direction is fine at this scale.
 */
public final class TcpProxy implements AutoCloseable {
    private final String targetHost;
    private final int targetPort;
    private final List<Socket> sockets = new CopyOnWriteArrayList<>();
    private final List<AtomicBoolean> blackholes = new CopyOnWriteArrayList<>();
    private volatile ServerSocket listener;
    private int port;

    public TcpProxy(String targetHost, int targetPort) {
        this.targetHost = targetHost;
        this.targetPort = targetPort;
    }

    public int port() {
        return port;
    }

    public synchronized TcpProxy start() throws IOException {
        ServerSocket s = new ServerSocket();
        s.setReuseAddress(true);
        s.bind(new InetSocketAddress("127.0.0.1", port));
        port = s.getLocalPort();
        listener = s;
        Thread accept = new Thread(() -> acceptLoop(s), "tcp-proxy-accept");
        accept.setDaemon(true);
        accept.start();
        return this;
    }

    private void acceptLoop(ServerSocket s) {
        while (!s.isClosed()) {
            try {
                Socket client = s.accept();
                Socket upstream = new Socket(targetHost, targetPort);
                sockets.add(client);
                sockets.add(upstream);
                AtomicBoolean swallow = new AtomicBoolean();
                blackholes.add(swallow);
                pipe(client, upstream, swallow);
                pipe(upstream, client, swallow);
            } catch (IOException e) {
                return; // listener closed by cut()
            }
        }
    }

    private void pipe(Socket from, Socket to, AtomicBoolean swallow) {
        Thread t = new Thread(() -> {
            byte[] buf = new byte[8192];
            try (InputStream in = from.getInputStream(); OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                    if (!swallow.get()) {
                        out.write(buf, 0, n);
                        out.flush();
                    }
                }
            } catch (IOException e) {
                // one side went away: close both below
            } finally {
                closeQuietly(from);
                closeQuietly(to);
            }
        }, "tcp-proxy-pipe");
        t.setDaemon(true);
        t.start();
    }

    /** Every connection open now silently drops what it carries, in both directions; new ones work normally. */
    public void blackholeOpenConnections() {
        for (AtomicBoolean b : blackholes) {
            b.set(true);
        }
        blackholes.clear();
    }

    /** Resets every relayed connection and stops listening. */
    public synchronized void cut() {
        closeQuietly(listener);
        for (Socket s : sockets) {
            try {
                s.setSoLinger(true, 0); // RST, like a host that vanished
            } catch (IOException ignored) {
                // already closed
            }
            closeQuietly(s);
        }
        sockets.clear();
    }

    private static void closeQuietly(AutoCloseable c) {
        try {
            if (c != null) {
                c.close();
            }
        } catch (Exception ignored) {
            // closing anyway
        }
    }

    @Override
    public void close() {
        cut();
    }
}
