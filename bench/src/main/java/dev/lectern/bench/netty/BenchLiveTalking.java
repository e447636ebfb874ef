package dev.lectern.bench.netty;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.HttpMethod;
import java.io.IOException;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A LiveTalking stand-in for {@code VoiceLatency}, run as a child process by the node's real avatar manager from the
 * command template ({@code --listenport {port} --report <port>}): answers every call with LiveTalking's
 * {@code {"code":0,"msg":"ok"}} envelope ({@link BenchBackend}'s
 * server; sessions are not checked: many users share the instance), and for each {@code POST /human} whose text names a turn ({@code turn N}, the first sentence of the bench's answer) it sends the
 * bench a line {@code N <nanoTime>} over a TCP connection to {@code 127.0.0.1:<report>}, the first time that turn is
 * seen. The time is {@link System#nanoTime} when the request had fully arrived: on Linux that is CLOCK_MONOTONIC, the
 * same clock in every process of the machine, so the bench compares it with its own readings directly.
 */
public final class BenchLiveTalking {
    private static final Pattern TURN = Pattern.compile("turn (\\d+)");
    private static final byte[] OK = "{\"code\":0,\"msg\":\"ok\"}".getBytes(StandardCharsets.UTF_8);

    private BenchLiveTalking() {}

    public static void main(String[] args) throws Exception {
        int port = 8010;
        int report = -1;
        for (int i = 0; i + 1 < args.length; i++) {
            if (args[i].equals("--listenport")) {
                port = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--report")) {
                report = Integer.parseInt(args[++i]);
            }
        }
        Reporter reporter = new Reporter(new Socket("127.0.0.1", report));
        ByteBuf ok = Unpooled.unreleasableBuffer(Unpooled.directBuffer(OK.length).writeBytes(OK));
        BenchBackend.serve("127.0.0.1", port, ok, req -> {
            long at = System.nanoTime(); // the request has fully arrived
            if (req.method() == HttpMethod.POST && req.uri().startsWith("/human")) {
                Matcher m = TURN.matcher(req.content().toString(StandardCharsets.UTF_8));
                if (m.find()) {
                    reporter.arrived(Long.parseLong(m.group(1)), at);
                }
            }
        });
    }

    /** Sends the turns' arrival times to the bench, off the event loop, each turn once. */
    static final class Reporter {
        private final OutputStream out;
        private final ExecutorService writer = Executors.newSingleThreadExecutor();
        private final Set<Long> seen = ConcurrentHashMap.newKeySet();

        Reporter(Socket socket) throws IOException {
            socket.setTcpNoDelay(true);
            this.out = socket.getOutputStream();
        }

        void arrived(long turn, long nanos) {
            if (!seen.add(turn)) {
                return;
            }
            writer.execute(() -> {
                try {
                    out.write((turn + " " + nanos + "\n").getBytes(StandardCharsets.US_ASCII));
                    out.flush();
                } catch (IOException e) {
                    throw new UncheckedIOException(e); // the bench is gone
                }
            });
        }
    }
}
