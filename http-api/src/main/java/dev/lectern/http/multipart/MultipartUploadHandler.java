package dev.lectern.http.multipart;

import dev.lectern.core.log.LogContext;
import dev.lectern.core.netty.ExpectedExceptions;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.ErrorMapper;
import dev.lectern.http.RouteDispatchHandler;
import io.netty.buffer.Unpooled;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.DefaultHttpRequest;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpContent;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpHeaderValues;
import io.netty.handler.codec.http.HttpRequest;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpUtil;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.LastHttpContent;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.FileUpload;
import io.netty.handler.codec.http.multipart.HttpPostMultipartRequestDecoder;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import io.netty.util.ReferenceCountUtil;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.Locale;
import java.util.concurrent.Executor;
import java.util.concurrent.RejectedExecutionException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Receives one {@code multipart/form-data} request (a {@link dev.lectern.http.Tunnel}) and hands the complete
 * form to a {@link MultipartReceiver}. Netty's {@link HttpPostMultipartRequestDecoder} with a disk-backed
 * {@link DefaultHttpDataFactory} spools file parts to {@link MultipartLimits#spoolDir()}: nothing is held whole in
 * memory. Each chunk is decoded on the blocking executor (it writes files), one at a time, and the next chunk is read
 * only when the previous one is on disk, so a fast client cannot outrun the disk.
 *
 * <p>Refusals: 415 not multipart, 400 malformed, 413 as soon as a file or the body passes its limit (the partial
 * file is deleted; the answer says {@code Connection: close}, and the keep-alive handler drains the rest briefly), 400 too many parts. Every
 * way out (answer, error, client gone) destroys the decoder and deletes the spooled files.
 */
public final class MultipartUploadHandler extends ChannelInboundHandlerAdapter {
    private static final Logger logger = LoggerFactory.getLogger(MultipartUploadHandler.class);
    private static final int MAX_BUFFERED_BYTES = 1024 * 1024;
    /** Text fields are read into memory: only files may be large. */
    private static final int MAX_FIELD_BYTES = 64 * 1024;
    static final java.util.regex.Pattern BOUNDARY =
            java.util.regex.Pattern.compile(";\\s*boundary=(\"[^\"]{1,70}\"|[^\\s;\"]{1,70})(\\s*;|\\s*$)");

    private final ApiRequest request;
    private final MultipartLimits limits;
    private final Executor blocking;
    private final MultipartReceiver receiver;
    private final Admission admission;
    /** What the admission asked to run when the upload is over; run once. */
    private Runnable release;
    private final ArrayDeque<HttpContent> queue = new ArrayDeque<>();
    private final MultipartForm form = new MultipartForm();

    private ChannelHandlerContext ctx;
    private HttpPostMultipartRequestDecoder decoder;
    private long received;
    private boolean busy;       // a chunk is being decoded on the blocking executor
    private boolean bodyDone;
    private boolean answered;   // a response has been written (or the channel is gone)
    private boolean cleaned;

    /**
     * Decides, before anything is spooled, whether the upload may start (quotas, one at a time): completes with what
     * to run when the upload is over, or fails with the refusal the client gets.
     */
    @FunctionalInterface
    public interface Admission {
        java.util.concurrent.CompletionStage<Runnable> admit(ApiRequest request, long contentLength);
    }

    public MultipartUploadHandler(ApiRequest request, MultipartLimits limits, Executor blocking,
                                  MultipartReceiver receiver) {
        this(request, limits, blocking, receiver, null);
    }

    public MultipartUploadHandler(ApiRequest request, MultipartLimits limits, Executor blocking,
                                  MultipartReceiver receiver, Admission admission) {
        this.request = request;
        this.limits = limits;
        this.blocking = blocking;
        this.receiver = receiver;
        this.admission = admission;
    }

    @Override
    public void handlerAdded(ChannelHandlerContext ctx) {
        this.ctx = ctx;
    }

    @Override
    public void channelRead(ChannelHandlerContext ctx, Object msg) {
        if (msg instanceof HttpRequest r) {
            start(r);
        }
        if (!(msg instanceof HttpContent c)) {
            ReferenceCountUtil.release(msg);
            return;
        }
        boolean last = c instanceof LastHttpContent;
        if (last) {
            bodyDone = true;
        }
        if (answered) {
            c.release();
            return;
        }
        received += c.content().readableBytes();
        if (received > limits.maxBodyBytes()) {
            c.release();
            fail(413, "payload_too_large", "the upload exceeds " + limits.maxFileBytes() + " bytes");
            return;
        }
        queue.add(c);
        pump();
    }

    private void start(HttpRequest r) {
        String type = r.headers().get(HttpHeaderNames.CONTENT_TYPE, "").toLowerCase(Locale.ROOT);
        if (!type.startsWith("multipart/form-data")) {
            fail(415, "unsupported_media_type", "content type must be multipart/form-data");
            return;
        }
        if (!BOUNDARY.matcher(type).find()) {
            fail(400, "bad_request", "malformed multipart request: the content type has no boundary (1-70 characters)");
            return;
        }
        if (HttpUtil.getContentLength(r, -1L) > limits.maxBodyBytes()) {
            fail(413, "payload_too_large", "the upload exceeds " + limits.maxFileBytes() + " bytes");
            return;
        }
        if (admission == null) {
            begin(r);
            return;
        }
        java.util.concurrent.CompletionStage<Runnable> admitted;
        try {
            admitted = admission.admit(request, HttpUtil.getContentLength(r, -1L));
        } catch (RuntimeException e) {
            admitted = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        admitted.whenComplete((rel, err) -> onLoop(() -> {
            release = rel;
            if (answered) {
                cleanup();
            } else if (err != null) {
                respond(ErrorMapper.toResponse(err, request.requestId()));
                cleanup();
            } else {
                begin(r);
            }
        }));
    }

    /** Admitted: the decoder spools the body from now on. */
    private void begin(HttpRequest r) {
        try {
            Files.createDirectories(limits.spoolDir());
            DefaultHttpDataFactory factory = new DefaultHttpDataFactory(true, StandardCharsets.UTF_8);
            factory.setBaseDir(limits.spoolDir().toString());
            factory.setDeleteOnExit(false); // deleteOnExit would remember every path until the JVM exits
            factory.setMaxLimit(limits.maxFileBytes());
            // the head only: a request that arrived whole (a FullHttpRequest) has its body in the queue already, and
            // the decoder's constructor would decode that body too; the queue's copy then came second and the parts
            // the first had found were lost (an intermittent "no file part" for small uploads)
            HttpRequest head = r instanceof HttpContent
                    ? new DefaultHttpRequest(r.protocolVersion(), r.method(), r.uri(), r.headers()) : r;
            decoder = new HttpPostMultipartRequestDecoder(factory, head, StandardCharsets.UTF_8, limits.maxParts(),
                    MAX_BUFFERED_BYTES);
        } catch (HttpPostRequestDecoder.ErrorDataDecoderException | IOException e) {
            fail(400, "bad_request", "malformed multipart request: " + message(e));
            return;
        }
        if (HttpUtil.is100ContinueExpected(r)) {
            ctx.writeAndFlush(new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.CONTINUE,
                    Unpooled.EMPTY_BUFFER));
        }
        if (queue.isEmpty()) {
            ctx.read();
        } else {
            pump(); // body that arrived while the upload was being admitted
        }
    }

    /** Decodes the next queued chunk on the blocking executor; reads more from the socket when the queue is empty. */
    private void pump() {
        if (busy || answered || queue.isEmpty() || decoder == null) {
            return;
        }
        HttpContent c = queue.poll();
        boolean last = c instanceof LastHttpContent;
        busy = true;
        try {
            blocking.execute(() -> {
                Throwable error = null;
                try {
                    decoder.offer(c);
                    drain();
                } catch (Throwable t) {
                    error = t;
                } finally {
                    c.release();
                }
                Throwable err = error;
                onLoop(() -> decoded(last, err));
            });
        } catch (RejectedExecutionException e) {
            c.release();
            busy = false;
            fail(503, "server_busy", "the server is busy; try again");
        }
    }

    /** Moves every completed part out of the decoder (blocking executor). */
    private void drain() throws IOException {
        while (true) {
            InterfaceHttpData data;
            try {
                if (!decoder.hasNext()) {
                    return;
                }
                data = decoder.next();
            } catch (HttpPostRequestDecoder.EndOfDataDecoderException e) {
                return;
            }
            if (data == null) {
                return;
            }
            try {
                if (form.parts() >= limits.maxParts()) {
                    throw new HttpPostRequestDecoder.TooManyFormFieldsException();
                }
                if (data instanceof FileUpload f && f.isCompleted()) {
                    Path dest = Files.createTempFile(limits.spoolDir(), "upload-", ".part");
                    if (f.length() > 0) {
                        f.renameTo(dest.toFile()); // ours now: the decoder no longer deletes it
                    }
                    form.addFile(new MultipartForm.FilePart(f.getName(), f.getFilename(), f.getContentType(), dest,
                            f.length()));
                } else if (data instanceof Attribute a) {
                    if (a.length() > MAX_FIELD_BYTES) {
                        throw new HttpPostRequestDecoder.TooLongFormFieldException();
                    }
                    form.addField(a.getName(), a.getValue());
                }
            } finally {
                decoder.removeHttpDataFromClean(data); // released here, so destroy() must not release it again
                data.release();
            }
        }
    }

    private void decoded(boolean last, Throwable error) {
        busy = false;
        if (answered) {
            cleanup();
            return;
        }
        if (error != null) {
            String m = message(error);
            if (m.toLowerCase(Locale.ROOT).contains("exceed")) {
                fail(413, "payload_too_large", "a file exceeds " + limits.maxFileBytes() + " bytes");
            } else if (error instanceof HttpPostRequestDecoder.TooManyFormFieldsException) {
                fail(400, "bad_request", "too many form parts (at most " + limits.maxParts() + ")");
            } else if (error instanceof HttpPostRequestDecoder.TooLongFormFieldException) {
                fail(400, "bad_request", "a form field is longer than " + MAX_FIELD_BYTES + " bytes");
            } else if (error instanceof HttpPostRequestDecoder.ErrorDataDecoderException) {
                fail(400, "bad_request", "malformed multipart request: " + m);
            } else {
                logger.warn("multipart decoding failed", error);
                fail(500, "internal_error", "the upload could not be received");
            }
            return;
        }
        if (last) {
            complete();
        } else if (queue.isEmpty()) {
            ctx.read();
        } else {
            pump();
        }
    }

    /** The whole form is on disk: let the receiver decide, answer, then delete the spooled files. */
    private void complete() {
        java.util.concurrent.CompletionStage<ApiResponse> stage;
        try {
            stage = receiver.receive(request, form);
        } catch (RuntimeException e) {
            stage = java.util.concurrent.CompletableFuture.failedFuture(e);
        }
        stage.whenComplete((resp, err) -> onLoop(() -> {
            respond(err == null ? resp : ErrorMapper.toResponse(err, request.requestId()));
            cleanup();
        }));
    }

    private void fail(int status, String code, String message) {
        respond(ErrorMapper.error(status, code, message, request.requestId()));
        if (!busy) {
            cleanup();
        }
    }

    private void respond(ApiResponse resp) {
        if (answered) {
            return;
        }
        answered = true;
        if (!ctx.channel().isActive()) {
            return;
        }
        FullHttpResponse r = RouteDispatchHandler.fullResponse(resp);
        if (!bodyDone) {
            // answered before the body ended (413, 415): the keep-alive handler drops the rest briefly, then closes
            r.headers().set(HttpHeaderNames.CONNECTION, HttpHeaderValues.CLOSE);
        }
        ctx.writeAndFlush(r);
    }

    /** Releases queued chunks now; destroys the decoder and deletes spooled files on the blocking executor. */
    private void cleanup() {
        HttpContent c;
        while ((c = queue.poll()) != null) {
            c.release();
        }
        Runnable rel = release;
        if (rel != null && !busy) {
            release = null;
            rel.run();
        }
        if (cleaned || busy) {
            return; // a chunk still decoding calls back here when it is done
        }
        cleaned = true;
        HttpPostMultipartRequestDecoder d = decoder;
        Runnable task = () -> {
            try {
                if (d != null) {
                    d.destroy();
                }
            } catch (RuntimeException e) {
                logger.warn("releasing the multipart decoder failed", e);
            } finally {
                form.close();
            }
        };
        try {
            blocking.execute(task);
        } catch (RejectedExecutionException e) {
            task.run(); // saturated: better a short block than leaked files and buffers
        }
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
        answered = true;
        cleanup();
        ctx.fireChannelInactive();
    }

    @Override
    public void handlerRemoved(ChannelHandlerContext ctx) {
        answered = true;
        cleanup();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
        ExpectedExceptions.logAndClose(logger, ctx, cause);
    }

    private void onLoop(Runnable task) {
        String id = request.requestId();
        ctx.executor().execute(() -> {
            try (LogContext ignored = LogContext.push(id)) {
                task.run();
            } catch (RuntimeException e) {
                logger.warn("upload failed", e);
                ctx.close();
            }
        });
    }

    private static String message(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getMessage() == null) {
            c = c.getCause();
        }
        String m = c.getMessage() == null ? c.getClass().getSimpleName() : c.getMessage();
        if (c.getCause() != null && c.getCause().getMessage() != null) {
            m = m + ": " + c.getCause().getMessage();
        }
        return m.length() > 200 ? m.substring(0, 200) : m;
    }
}
