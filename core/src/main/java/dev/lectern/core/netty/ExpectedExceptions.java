package dev.lectern.core.netty;

import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.DecoderException;
import java.io.IOException;
import java.nio.channels.ClosedChannelException;
import java.util.regex.Pattern;
import javax.net.ssl.SSLException;
import org.slf4j.Logger;

/** The one {@code exceptionCaught} helper: routine disconnects at DEBUG, the rest at WARN, then close. */
public final class ExpectedExceptions {
    // Armeria's list of messages that mean "the peer went away".
    private static final Pattern IGNORABLE = Pattern.compile(
            "(?:^.*(?:connection.*(?:reset|closed|abort|broken)|broken.*pipe).*$)|"
                    + "(?:^.*(?:stream closed|connection timed out).*$)",
            Pattern.CASE_INSENSITIVE);

    private ExpectedExceptions() {}

    public static boolean isExpected(Throwable cause) {
        if (cause instanceof DecoderException && cause.getCause() != null) {
            cause = cause.getCause();
        }
        if (cause instanceof ClosedChannelException) {
            return true;
        }
        if (cause instanceof IOException && !(cause instanceof SSLException)) {
            String message = cause.getMessage();
            return message == null || IGNORABLE.matcher(message).matches();
        }
        return false;
    }

    public static void logAndClose(Logger logger, ChannelHandlerContext ctx, Throwable cause) {
        if (isExpected(cause)) {
            logger.debug("{} closed by peer: {}", ctx.channel(), cause.toString());
        } else {
            logger.warn("{} unexpected exception", ctx.channel(), cause);
        }
        ctx.close();
    }
}
