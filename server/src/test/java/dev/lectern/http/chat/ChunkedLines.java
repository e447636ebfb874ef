package dev.lectern.http.chat;

import java.io.IOException;
import java.io.InputStream;

/**
 * Strips HTTP/1.1 chunked framing from a raw socket stream that is already past the response head (or anywhere
 * inside a chunk): returns only chunk payload bytes. Good enough for tests that read an SSE body over a raw socket.
 */
final class ChunkedLines extends InputStream {
    private final InputStream in;
    private long remaining;
    private boolean synced;

    ChunkedLines(InputStream in) {
        this.in = in;
    }

    @Override
    public int read() throws IOException {
        if (!synced) {
            // we may be in the middle of a chunk: pass bytes through until an SSE event boundary, then parse framing
            int b = in.read();
            if (b == -1) {
                return -1;
            }
            if (b == '\n' && lastWasNewline) {
                synced = true;
                pendingCrlf = true;
            }
            lastWasNewline = b == '\n';
            return b;
        }
        if (remaining == 0) {
            if (pendingCrlf) {
                skipCrlf();
                pendingCrlf = false;
            }
            String size = line();
            if (size == null) {
                return -1;
            }
            remaining = Long.parseLong(size.trim(), 16);
            if (remaining == 0) {
                return -1;
            }
        }
        int b = in.read();
        remaining--;
        if (remaining == 0) {
            pendingCrlf = true;
        }
        return b;
    }

    private boolean lastWasNewline;
    private boolean pendingCrlf;

    private void skipCrlf() throws IOException {
        int c = in.read();
        if (c == '\r') {
            in.read();
        }
    }

    private String line() throws IOException {
        StringBuilder sb = new StringBuilder();
        int c;
        while ((c = in.read()) != -1) {
            if (c == '\n') {
                return sb.toString().strip();
            }
            sb.append((char) c);
        }
        return sb.length() == 0 ? null : sb.toString();
    }
}
