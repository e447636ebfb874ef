package dev.lectern.http.multipart;

import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import io.netty.buffer.Unpooled;
import io.netty.handler.codec.http.DefaultFullHttpRequest;
import io.netty.handler.codec.http.FullHttpRequest;
import io.netty.handler.codec.http.HttpHeaderNames;
import io.netty.handler.codec.http.HttpMethod;
import io.netty.handler.codec.http.HttpVersion;
import io.netty.handler.codec.http.multipart.Attribute;
import io.netty.handler.codec.http.multipart.DefaultHttpDataFactory;
import io.netty.handler.codec.http.multipart.HttpPostMultipartRequestDecoder;
import io.netty.handler.codec.http.multipart.HttpPostRequestDecoder;
import io.netty.handler.codec.http.multipart.InterfaceHttpData;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The text fields of a small {@code multipart/form-data} body that the dispatcher has already read whole (and
 * limited), for routes that take a form of fields rather than a file, as front ends built with {@code FormData} send
 * it. File parts are refused (400): uploads go through {@link MultipartUploadHandler}, which spools them to disk.
 */
public final class MultipartFieldDecoder {
    private MultipartFieldDecoder() {}

    public static boolean isMultipart(ApiRequest r) {
        return r.contentType().startsWith("multipart/form-data");
    }

    /** The fields in order, each name with its values; a malformed body or a file part is a 400. */
    public static Map<String, List<String>> decode(ApiRequest r) {
        if (!MultipartUploadHandler.BOUNDARY.matcher(r.contentType()).find()) {
            throw ServiceException.badRequest("malformed multipart form: the content type has no boundary (1-70"
                    + " characters)");
        }
        FullHttpRequest request = new DefaultFullHttpRequest(HttpVersion.HTTP_1_1, HttpMethod.POST, r.path(),
                Unpooled.wrappedBuffer(r.body()));
        request.headers().set(HttpHeaderNames.CONTENT_TYPE, r.header("content-type"));
        HttpPostMultipartRequestDecoder decoder = null;
        try {
            decoder = new HttpPostMultipartRequestDecoder(new DefaultHttpDataFactory(false), request,
                    StandardCharsets.UTF_8);
            InterfaceHttpData partial = decoder.currentPartialHttpData();
            if (partial != null) { // the body ended inside a part: not in the decoder's list, so not destroyed
                partial.release();
                throw ServiceException.badRequest("malformed multipart form: the body ends inside a part");
            }
            Map<String, List<String>> fields = new LinkedHashMap<>();
            for (InterfaceHttpData data : decoder.getBodyHttpDatas()) {
                if (!(data instanceof Attribute a)) {
                    throw ServiceException.badRequest("this form takes text fields only; no file part '"
                            + data.getName() + "'");
                }
                fields.computeIfAbsent(a.getName(), k -> new ArrayList<>(1)).add(a.getValue());
            }
            return fields;
        } catch (HttpPostRequestDecoder.ErrorDataDecoderException | HttpPostRequestDecoder.NotEnoughDataDecoderException
                 | IllegalArgumentException e) {
            throw ServiceException.badRequest("malformed multipart form");
        } catch (IOException e) {
            throw ServiceException.badRequest("unreadable multipart form");
        } finally {
            if (decoder != null) {
                decoder.destroy();
            }
            request.release();
        }
    }
}
