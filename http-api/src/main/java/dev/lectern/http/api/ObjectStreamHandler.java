package dev.lectern.http.api;

import dev.lectern.core.log.LogContext;
import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.core.objects.LiveObject;
import dev.lectern.core.objects.LiveObjects;
import dev.lectern.core.objects.LocalObjectStore;
import dev.lectern.core.objects.ObjectStore;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.ErrorMapper;
import dev.lectern.http.RouteDispatchHandler;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultHttpContent;
import io.netty.handler.codec.http.DefaultHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.Map;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Sends one object (a {@link dev.lectern.http.Tunnel} of {@link ObjectsApi}): a live object as it grows, chunked,
 * ending when its writer completes (a writer that fails cuts the response short, so the client sees an incomplete
 * body); a stored local object with Content-Length, or the part a single byte {@code Range} asks for (206, or 416);
 * else a redirect to the store's own URL, or 404. A live object's link ({@code live=1}) that finds the object neither
 * growing here nor stored (it grows on another node of the cluster) is asked again, with a growing pause between the
 * looks and no thread held in between, until it is stored or {@link LiveObjects#elsewhereWait} has passed (then 404).
 *
 * <p>Bounded memory: one piece of {@link #PIECE_BYTES} is read (from the live object's memory, else from disk on the
 * blocking executor) only when the previous one has been written to the socket and the channel is writable, so a slow reader holds at most a piece plus
 * the channel's write buffer, however large the object; the writer of a live object never waits for readers. The bytes
 * handed to the socket and not yet written are counted in {@link LiveObjects#readersBuffered}.
 */
final class ObjectStreamHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(ObjectStreamHandler.class);
    static final int PIECE_BYTES = 16 * 1024;
    private static final long FIRST_LOOK_MILLIS = 10;
    private static final long MAX_LOOK_MILLIS = 250;

    private final ApiRequest request;
    private final String key;
    private final LiveObjects live;
    private final LocalObjectStore local;
    private final String redirect;
    private final Executor blocking;
    /** The store, asked whether a live object of another node is stored yet; null when this link does not wait. */
    private final ObjectStore elsewhere;
    /** {@link System#nanoTime} after which a live object of another node is given up (when {@link #elsewhere}). */
    private final long waitUntilNanos;
    private long lookMillis = FIRST_LOOK_MILLIS;
    private boolean awaiting;

    private ChannelHandlerContext ctx;
    private boolean started;
    private boolean headSent;
    private boolean done;
    private boolean reading;
    private boolean waiting;
    /** The object being sent: a live one ({@link #object} set) or a stored file ({@link #file} set). */
    private LiveObject object;
    private FileChannel file;
    private long position;
    private long end = -1; // exclusive; -1 while a live object grows

    ObjectStreamHandler(ApiRequest request, String key, LiveObjects live, LocalObjectStore local, String redirect,
                        Executor blocking) {
        this(request, key, live, local, redirect, blocking, null, 0);
    }

    /** @param elsewhere the store to watch for a live object growing on another node (null: do not wait) */
    ObjectStreamHandler(ApiRequest request, String key, LiveObjects live, LocalObjectStore local, String redirect,
                        Executor blocking, ObjectStore elsewhere, long waitUntilNanos) {
        this.request = request;
        this.key = key;
        this.live = live;
        this.local = local;
        this.redirect = redirect;
        this.blocking = blocking;
        this.elsewhere = elsewhere;
        this.waitUntilNanos = waitUntilNanos;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        boolean head = msg instanceof HttpRequest;
        ReferenceCountUtil.release(msg); // a GET: nothing in the body matters
        if (head && !started) {
            started = true;
            LiveObject o = live == null ? null : live.find(key).orElse(null);
            if (o != null && o.open()) { // the usual case for a sentence's audio: no hop off the event loop
                startLive(o);
            } else {
                offload(this::find);
            }
        }
    }

    @Override
    public void channelWritabilityChanged(ChannelHandlerContext ctx) {
        pump();
        ctx.fireChannelWritabilityChanged();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        finish();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        finish();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }

    // --- on the blocking executor: where the bytes are

    private void find() {
        LiveObject o = live == null ? null : live.find(key).orElse(null);
        if (o != null && o.open()) {
            onLoop(() -> startLive(o));
            return;
        }
        FileChannel f = null;
        long size = -1;
        long modified = -1;
        try {
            f = FileChannel.open(local.path(key), StandardOpenOption.READ);
            size = f.size();
            modified = Files.getLastModifiedTime(local.path(key)).toMillis();
        } catch (NoSuchFileException e) {
            // stored elsewhere, or not at all
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read object " + key, e);
        }
        if (f != null) {
            FileChannel opened = f;
            long length = size;
            long modifiedMillis = modified;
            onLoop(() -> startStored(opened, length, modifiedMillis));
        } else if (elsewhere != null && (redirect == null || !elsewhere.exists(key))) {
            // a live object's link, the object neither growing here nor stored: it may be growing on another node
            onLoop(this::lookAgainLater);
        } else if (redirect != null) {
            onLoop(() -> respond(new ApiResponse(302, null, null, Map.of("Location", redirect))));
        } else {
            onLoop(() -> respond(ErrorMapper.error(404, "not_found", "no such object", request.requestId())));
        }
    }

    // --- on the event loop

    /** Looks for the object again after a pause (10 ms, growing to 250 ms), or gives up once the wait is over. */
    private void lookAgainLater() {
        if (done) {
            return;
        }
        long left = waitUntilNanos - System.nanoTime();
        if (left <= 0) {
            respond(ErrorMapper.error(404, "not_found", "no such object", request.requestId()));
            return;
        }
        if (!awaiting) {
            awaiting = true;
            live.awaitingElsewhere(1);
        }
        long pause = Math.min(lookMillis, TimeUnit.NANOSECONDS.toMillis(left) + 1);
        lookMillis = Math.min(MAX_LOOK_MILLIS, lookMillis * 2);
        ctx.executor().schedule(() -> {
            if (!done) {
                offload(this::find);
            }
        }, pause, TimeUnit.MILLISECONDS);
    }

    private void stopAwaiting() {
        if (awaiting) {
            awaiting = false;
            live.awaitingElsewhere(-1);
        }
    }

    private void startLive(LiveObject o) {
        stopAwaiting();
        if (done) {
            o.release();
            return;
        }
        if (o.state() == LiveObject.State.FAILED) {
            o.release();
            respond(ErrorMapper.error(404, "not_found", "this audio could not be produced", request.requestId()));
            return;
        }
        object = o;
        if (o.state() == LiveObject.State.COMPLETE) {
            sendStored(o.length(), -1); // complete: a plain object, while it is being stored
            return;
        }
        HttpResponse head = head(HttpResponseStatus.OK);
        head.headers().set(HttpHeaderNames.CACHE_CONTROL, "no-store"); // not yet the object the URL will name
        HttpUtil.setTransferEncodingChunked(head, true);
        headSent = true;
        ctx.writeAndFlush(head);
        pump();
    }

    private void startStored(FileChannel f, long length, long modifiedMillis) {
        stopAwaiting();
        file = f;
        if (done) {
            finish();
            return;
        }
        sendStored(length, modifiedMillis);
    }

    /**
     * A complete object of {@code length} bytes: all of it, or the one range asked for (with {@code If-Range} against
     * its validators, which a stored file has: {@code modifiedMillis} >= 0).
     */
    private void sendStored(long length, long modifiedMillis) {
        String etag = modifiedMillis < 0 ? null
                : "\"" + Long.toHexString(length) + "-" + Long.toHexString(modifiedMillis) + "\"";
        ObjectsApi.ByteRange range = ObjectsApi.ByteRange.parse(request.headers().get("Range"), length);
        if (range != null && etag != null
                && !ObjectsApi.ifRangeMatches(request.headers().get("If-Range"), etag, modifiedMillis)) {
            range = null;
        }
        if (range == ObjectsApi.ByteRange.UNSATISFIABLE) {
            respond(ErrorMapper.error(416, "range_not_satisfiable", "the range starts beyond the object's " + length
                    + " bytes", request.requestId()).withHeader("Content-Range", "bytes */" + length)
                    .withHeader("Accept-Ranges", "bytes"));
            return;
        }
        long from = range == null ? 0 : range.first();
        long to = range == null ? length : range.last() + 1; // exclusive
        HttpResponseStatus status = range == null ? HttpResponseStatus.OK : HttpResponseStatus.PARTIAL_CONTENT;
        HttpResponse head = head(status);
        head.headers().set(HttpHeaderNames.CACHE_CONTROL, "private, max-age=300");
        head.headers().set(HttpHeaderNames.ACCEPT_RANGES, "bytes");
        if (etag != null) {
            head.headers().set(HttpHeaderNames.ETAG, etag);
            head.headers().set(HttpHeaderNames.LAST_MODIFIED, DateTimeFormatter.RFC_1123_DATE_TIME.format(
                    Instant.ofEpochMilli(modifiedMillis).atZone(ZoneOffset.UTC)));
        }
        if (status == HttpResponseStatus.PARTIAL_CONTENT) {
            head.headers().set(HttpHeaderNames.CONTENT_RANGE, "bytes " + from + "-" + (to - 1) + "/" + length);
        }
        HttpUtil.setContentLength(head, to - from);
        position = from;
        end = to;
        headSent = true;
        ctx.writeAndFlush(head);
        pump();
    }

    private HttpResponse head(HttpResponseStatus status) {
        HttpResponse head = new DefaultHttpResponse(HttpVersion.HTTP_1_1, status);
        head.headers().set(HttpHeaderNames.CONTENT_TYPE, ObjectStore.contentType(key));
        head.headers().set("X-Content-Type-Options", "nosniff");
        head.headers().set("X-Request-Id", request.requestId());
        return head;
    }

    /** Sends the next piece when the client can take it; at the end, the last part. */
    private void pump() {
        if (done || reading || waiting || (object == null && file == null) || !ctx.channel().isWritable()) {
            return;
        }
        long available;
        boolean final_;
        if (end >= 0) {
            available = end;
            final_ = true;
        } else {
            LiveObject.State state = object.state();
            available = object.length();
            final_ = state != LiveObject.State.WRITING;
            if (state == LiveObject.State.FAILED && position >= available) {
                ctx.close(); // the clip broke off: an incomplete chunked body tells the client so
                finish();
                return;
            }
            if (state == LiveObject.State.COMPLETE && position >= available) {
                end = available;
            }
        }
        if (position < available) {
            ByteBuffer inMemory = object == null ? null
                    : object.readMemory(position, (int) Math.min(PIECE_BYTES, available - position));
            if (inMemory != null) {
                reading = true;
                sendPiece(inMemory);
            } else {
                read(position, (int) Math.min(PIECE_BYTES, available - position));
            }
        } else if (final_) {
            done = true;
            ctx.writeAndFlush(LastHttpContent.EMPTY_LAST_CONTENT);
            finish();
        } else {
            waiting = true;
            if (!object.whenLongerThan(position, () -> onLoop(this::woken))) {
                waiting = false;
                ctx.executor().execute(this::pump);
            }
        }
    }

    private void woken() {
        waiting = false;
        pump();
    }

    private void read(long at, int count) {
        reading = true;
        LiveObject o = object;
        FileChannel f = file;
        offload(() -> {
            ByteBuffer buf = ByteBuffer.allocate(count);
            while (buf.hasRemaining()) {
                int n;
                try {
                    n = o != null ? o.read(at + buf.position(), buf) : f.read(buf, at + buf.position());
                } catch (IOException e) {
                    throw new UncheckedIOException("cannot read object " + key, e);
                }
                if (n < 0) {
                    break;
                }
            }
            buf.flip();
            onLoop(() -> sendPiece(buf));
        });
    }

    private void sendPiece(ByteBuffer buf) {
        reading = false;
        if (done || !ctx.channel().isActive()) {
            finish();
            return;
        }
        int n = buf.remaining();
        if (n == 0) { // the file is shorter than it said: cut short
            ctx.close();
            finish();
            return;
        }
        position += n;
        if (live != null) {
            live.readersBuffered(n);
        }
        ctx.writeAndFlush(new DefaultHttpContent(Unpooled.wrappedBuffer(buf))).addListener(f -> {
            if (live != null) {
                live.readersBuffered(-n);
            }
            if (f.isSuccess()) {
                pump();
            }
        });
    }

    /** An answer without a body of its own (errors, redirects): the whole response. */
    private void respond(ApiResponse resp) {
        if (done) {
            return;
        }
        done = true;
        if (ctx.channel().isActive()) {
            ctx.writeAndFlush(RouteDispatchHandler.fullResponse(resp.withHeader("X-Request-Id", request.requestId())));
        }
        finish();
    }

    /** Lets go of the object once no read is in progress (the read's return calls again); idempotent. */
    private void finish() {
        done = true;
        stopAwaiting();
        if (reading) {
            return;
        }
        LiveObject o = object;
        object = null;
        if (o != null) {
            o.release();
        }
        FileChannel f = file;
        file = null;
        if (f != null) {
            try {
                f.close();
            } catch (IOException e) {
                // read-only: nothing lost
            }
        }
    }

    private void offload(Runnable task) {
        try {
            blocking.execute(() -> {
                try (LogContext ignored = LogContext.push(request.requestId())) {
                    task.run();
                } catch (RuntimeException e) {
                    logger.warn("serving object {} failed: {}", key, e.getMessage());
                    onLoop(() -> {
                        reading = false;
                        if (headSent) {
                            ctx.close(); // cut short: the client sees an incomplete body
                            finish();
                        } else {
                            respond(ErrorMapper.error(500, "internal_error", "the object could not be read",
                                    request.requestId()));
                        }
                    });
                }
            });
        } catch (RejectedExecutionException e) {
            onLoop(() -> {
                reading = false;
                if (headSent) {
                    ctx.close();
                    finish();
                } else {
                    respond(ErrorMapper.error(503, "server_busy", "the server is busy; try again",
                            request.requestId()));
                }
            });
        }
    }

    private void onLoop(Runnable task) {
        if (ctx.executor().inEventLoop()) {
            task.run();
        } else {
            ctx.executor().execute(task);
        }
    }
}
