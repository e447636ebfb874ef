package dev.lectern.http.multipart;

import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.HttpPostMultipartRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text fields of a small form the dispatcher has already read and limited: {@code multipart/form-data} (as the
 * seed front ends send {@code avatar_name} and the like) or {@code application/x-www-form-urlencoded}. Files in a
 * multipart body are not fields and are ignored; a field sent twice keeps its first value.
 */
public final class FormFields {
    private FormFields() {}

    /** Whether the request carries a form (either encoding) rather than JSON. */
    public static boolean isForm(ApiRequest r) {
        return r.isForm() || r.contentType().startsWith("multipart/form-data");
    }

    public static Map<String, String> of(ApiRequest r) {
        Map<String, String> out = new LinkedHashMap<>();
        if (r.isForm()) {
            for (Map.Entry<String, List<String>> e : r.form().entrySet()) {
                out.put(e.getKey(), e.getValue().get(0));
            }
            return out;
        }
        DefaultFullHttpRequest req = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, "/",
                Unpooled.wrappedBuffer(r.body()));
        req.headers().set(HttpHeaderNames.CONTENT_TYPE, r.header("content-type"));
        HttpPostMultipartRequestDecoder decoder = null;
        try {
            decoder = new HttpPostMultipartRequestDecoder(new DefaultHttpDataFactory(false), req);
            for (InterfaceHttpData d : decoder.getBodyHttpDatas()) {
                if (d instanceof Attribute a) {
                    out.putIfAbsent(a.getName(), a.getValue());
                }
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw ServiceException.badRequest("malformed multipart/form-data body");
        } finally {
            if (decoder != null) {
                decoder.destroy();
            }
            req.release();
        }
    }
}
