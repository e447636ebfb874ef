package dev.lectern.core.netty;

import dev.lectern.core.http.internal.RawHttpContent;
import dev.lectern.core.http.internal.RawHttpResponse;

import io.netty.handler.codec.http.HttpResponse;
import io.netty.handler.codec.http.HttpStatusClass;
import io.netty.handler.codec.http.LastHttpContent;

/**
 * What the handlers of the HTTP edge ask of an outbound message, whether it is one of Netty's HTTP messages or a
 * response the avatar proxy framed itself ({@link RawHttpResponse}, {@link RawHttpContent}).
 */
public final class HttpMessages {
    private HttpMessages() {}

    /** The start of a final (not 1xx) response: its status and headers. */
    public static boolean isFinalHead(Object msg) {
        return msg instanceof HttpResponse r && r.status().codeClass() != HttpStatusClass.INFORMATIONAL
                || msg instanceof RawHttpResponse;
    }

    /** The status of a message for which {@link #isFinalHead} holds. */
    public static int status(Object head) {
        return head instanceof RawHttpResponse raw ? raw.status() : ((HttpResponse) head).status().code();
    }

    /** Sets a header on a message for which {@link #isFinalHead} holds. */
    public static void setHeader(Object head, CharSequence name, CharSequence value) {
        if (head instanceof RawHttpResponse raw) {
            raw.addHeader(name, value);
        } else {
            ((HttpResponse) head).headers().set(name, value);
        }
    }

    /** The last message of a final response (a 100 Continue or 101 is not one). */
    public static boolean isLast(Object msg) {
        if (msg instanceof LastHttpContent) {
            return !(msg instanceof HttpResponse r) || r.status().codeClass() != HttpStatusClass.INFORMATIONAL;
        }
        return msg instanceof RawHttpResponse r && r.isLast() || msg instanceof RawHttpContent c && c.isLast();
    }
}
