package dev.lectern.ai.llm;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;

/**
 * Incremental Server-Sent Events parser for an upstream model stream. Bytes arrive in arbitrary network pieces; a line
 * is decoded as UTF-8 only once it is complete, so a multi-byte character split across pieces is never mangled. Lines
 * end with LF, CRLF or CR. {@code data:} fields (with or without the space) of one event are joined with {@code \n};
 * a blank line dispatches the event. Comment lines ({@code : OPENROUTER PROCESSING}) and {@code event:}, {@code id:},
 * {@code retry:} fields are not data. Not thread-safe: feed it from one thread at a time.
 */
public final class SseEventParser {
    /** Receives each complete event's data and each comment. */
    public interface Listener {
        void onData(String data);

        default void onComment(String comment) {}
    }

    private final Listener listener;
    private final int maxLineBytes;
    private final ByteArrayOutputStream line = new ByteArrayOutputStream(256);
    private final StringBuilder data = new StringBuilder();
    private boolean hasData;
    private boolean lastWasCr;

    public SseEventParser(Listener listener, int maxLineBytes) {
        this.listener = listener;
        this.maxLineBytes = maxLineBytes;
    }

    /** Parses a piece of the stream; throws {@link IllegalStateException} when one line exceeds the limit. */
    public void feed(byte[] bytes, int offset, int length) {
        for (int i = offset; i < offset + length; i++) {
            byte b = bytes[i];
            if (b == '\n') {
                if (lastWasCr) {
                    lastWasCr = false; // the LF of a CRLF
                    continue;
                }
                endLine();
            } else if (b == '\r') {
                lastWasCr = true;
                endLine();
                continue;
            } else {
                if (line.size() >= maxLineBytes) {
                    throw new IllegalStateException("upstream SSE line longer than " + maxLineBytes + " bytes");
                }
                line.write(b);
            }
            lastWasCr = false;
        }
    }

    public void feed(byte[] bytes) {
        feed(bytes, 0, bytes.length);
    }

    /** The stream ended: a last event without its blank line is still dispatched. */
    public void finish() {
        if (line.size() > 0) {
            endLine();
        }
        dispatch();
    }

    private void endLine() {
        String text = line.toString(StandardCharsets.UTF_8);
        line.reset();
        if (text.isEmpty()) {
            dispatch();
            return;
        }
        if (text.charAt(0) == ':') {
            listener.onComment(text.substring(1).strip());
            return;
        }
        int colon = text.indexOf(':');
        String field = colon < 0 ? text : text.substring(0, colon);
        if (!field.equals("data")) {
            return; // event:, id:, retry: and unknown fields carry nothing we use
        }
        String value = colon < 0 ? "" : text.substring(colon + 1);
        if (value.startsWith(" ")) {
            value = value.substring(1);
        }
        if (hasData) {
            data.append('\n');
        }
        data.append(value);
        hasData = true;
    }

    private void dispatch() {
        if (!hasData) {
            return;
        }
        String d = data.toString();
        data.setLength(0);
        hasData = false;
        listener.onData(d);
    }
}
