package dev.lectern.core.netty;

import dev.lectern.core.json.Json;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpResponse;
import io.netty.handler.codec.http.FullHttpResponse;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpResponseStatus;
import io.netty.handler.codec.http.HttpVersion;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * The one error body of every HTTP answer Lectern writes itself:
 * {@code {"error":code,"message":…,"requestId":…,"msg":…}}, in that order; {@code msg} repeats {@code message} for the
 * seed front ends (issue 20), which read it there. The message is shown to the client: never a stack trace, a secret
 * or an internal detail.
 */
public final class JsonErrors {
    public static final String CONTENT_TYPE = "application/json; charset=utf-8";

    private JsonErrors() {}

    /** The body alone, for a writer that frames the response itself. */
    public static byte[] body(String code, String message, String requestId) {
        Map<String, Object> body = new LinkedHashMap<>(8);
        body.put("error", code);
        body.put("message", message);
        body.put("requestId", requestId);
        body.put("msg", message); // the seeds' front ends read the text from msg (Flask-JWT-Extended's key)
        return Json.writeBytes(body);
    }

    /** A complete HTTP/1.1 response with the error body, its content type and length. */
    public static FullHttpResponse jsonError(int status, String code, String message, String requestId) {
        byte[] bytes = body(code, message, requestId);
        FullHttpResponse r = new DefaultFullHttpResponse(HttpVersion.HTTP_1_1, HttpResponseStatus.valueOf(status),
                Unpooled.wrappedBuffer(bytes));
        r.headers().set(HttpHeaderNames.CONTENT_TYPE, CONTENT_TYPE);
        r.headers().setInt(HttpHeaderNames.CONTENT_LENGTH, bytes.length);
        return r;
    }
}
