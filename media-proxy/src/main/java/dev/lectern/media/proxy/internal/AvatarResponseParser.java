package dev.lectern.media.proxy.internal;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/**
 * Reads an avatar's HTTP/1.x responses from the bytes of its connection and frames them for the browser, without
 * building header objects and without decoding a body to encode it again:
 * <ul>
 *   <li>The head is checked (status line, header names as tokens, no control characters in values, no folded lines,
 *       at most {@link #MAX_HEAD_BYTES}) and rebuilt as HTTP/1.1 lines without the headers that are about the
 *       avatar's hop or that Lectern sets itself: {@code Connection} and the headers it names, {@code Keep-Alive},
 *       {@code Proxy-*}, {@code Trailer}, {@code Upgrade}, {@code Set-Cookie}, {@code X-Request-Id},
 *       {@code Access-Control-*}, and a {@code Content-Length} beside {@code Transfer-Encoding: chunked}.</li>
 *   <li>A body with a {@code Content-Length} passes through as it is; a chunked one too, its chunk sizes and trailers
 *       checked on the way; a body that ends when the avatar closes is sent to the browser chunked, so that the
 *       browser's connection stays usable. Responses to {@code HEAD}, 204 and 304 have none. 1xx responses are
 *       skipped (the final one follows).</li>
 *   <li>Anything else is an {@link InvalidResponseException}: the caller answers 502 or, once the browser has part of
 *       the response, closes.</li>
 * </ul>
 * One exchange at a time: {@link #start} before each request. The parser allocates only the rebuilt head (and, for a
 * body that ends with the connection, the chunk framing); body bytes go on as slices of what was read.
 */
final class AvatarResponseParser {
    /** The longest head accepted (status line and headers). */
    static final int MAX_HEAD_BYTES = 16 * 1024;
    /** The longest chunk-size line (with extensions) and the most trailer bytes accepted. */
    static final int MAX_LINE_BYTES = 4096;
    /** Room left in a rebuilt head for the lines the server adds (request id, CORS) and a small body copied in. */
    private static final int HEAD_HEADROOM = 256;
    private static final int SMALL_BODY_BYTES = 4096;
    private static final byte[] CHUNKED_LINE = "transfer-encoding: chunked\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] LAST_CHUNK = "0\r\n\r\n".getBytes(StandardCharsets.US_ASCII);
    private static final String[] DROPPED = {"connection", "keep-alive", "proxy-authenticate", "proxy-connection",
            "trailer", "upgrade", "set-cookie", "x-request-id"};

    /** What the parser found: the caller forwards it and owns the buffers it is given. */
    interface Sink {
        /**
         * A final response's head: its status, its rebuilt status line and header lines (each ending in CRLF, without
         * the blank line), whether the avatar keeps the connection for another request, and whether the response is
         * already complete (no body).
         */
        void onHead(int status, ByteBuf head, boolean keepAlive, boolean complete);

        /** Body bytes framed for the browser; {@code complete} on the part that ends the response. */
        void onBody(ByteBuf part, boolean complete);
    }

    /** The avatar's bytes are not an HTTP response this proxy forwards. */
    static final class InvalidResponseException extends Exception {
        InvalidResponseException(String message) {
            super(message, null, false, false);
        }
    }

    private enum State {
        IDLE, HEAD, BODY_LENGTH, BODY_UNTIL_CLOSE, CHUNK_SIZE, CHUNK_EXTENSION, CHUNK_SIZE_LF, CHUNK_DATA, CHUNK_DATA_CR,
        CHUNK_DATA_LF, TRAILER_START, TRAILER_LINE, TRAILER_LINE_LF, TRAILER_END_LF, DONE
    }

    private enum Framing { NONE, LENGTH, CHUNKED, UNTIL_CLOSE }

    private State state = State.IDLE;
    private boolean headRequest;
    private boolean keepAlive;
    /** The head read so far when it did not come in one read; null otherwise. */
    private ByteBuf partialHead;
    /** How far from its start the partial head is known to hold no blank line (a line start). */
    private int headScanned;
    /** Body bytes left (BODY_LENGTH) or bytes of the current chunk left (CHUNK_DATA). */
    private long remaining;
    private int chunkDigits;
    private int lineBytes;
    private int trailerBytes;
    private boolean trailerColon;
    // the head being parsed: per header line, where its name and value are, and whether it is forwarded
    private int[] lines = new int[5 * 16];
    private int lineCount;
    /** Where the head's Connection values are, as (start, end) pairs: the headers they name are hop-by-hop too. */
    private int[] connectionValues = new int[4];
    private int connectionCount;
    /** The head being parsed, copied out of the buffer. */
    private byte[] scratch = new byte[1024];

    /** Gets ready for the response to the next request; {@code headRequest}: a response to HEAD has no body. */
    void start(boolean headRequest) {
        releasePartialHead();
        this.headScanned = 0;
        this.headRequest = headRequest;
        this.state = State.HEAD;
        this.keepAlive = false;
    }

    /** Whether the response has been read to its end (and the connection may serve another request). */
    boolean isDone() {
        return state == State.DONE;
    }

    /** Whether the avatar keeps the connection after this response (it said so, and the body did not end by a close). */
    boolean keepAlive() {
        return keepAlive;
    }

    /**
     * Consumes what the response takes from {@code in}. Body parts handed to the sink are slices of {@code in} (or of
     * the parser's own copy of a head that came in several reads), retained for the sink. Returns true when bytes
     * came after the response's end: they are not part of it, and the connection must not be used again.
     */
    boolean feed(ByteBufAllocator alloc, ByteBuf in, Sink sink) throws InvalidResponseException {
        ByteBuf buf = in;
        if (state == State.HEAD && partialHead != null) {
            partialHead.writeBytes(in);
            buf = partialHead;
        }
        try {
            while (buf.isReadable() && state != State.DONE) {
                switch (state) {
                    case HEAD -> {
                        if (!readHead(alloc, buf, sink)) {
                            if (buf != partialHead) {
                                partialHead = alloc.buffer(Math.max(1024, 2 * buf.readableBytes()));
                                partialHead.writeBytes(buf);
                            }
                            return false;
                        }
                    }
                    case BODY_LENGTH -> {
                        int n = (int) Math.min(remaining, buf.readableBytes());
                        remaining -= n;
                        boolean complete = remaining == 0;
                        if (complete) {
                            state = State.DONE;
                        }
                        sink.onBody(buf.readRetainedSlice(n), complete);
                    }
                    case BODY_UNTIL_CLOSE -> sink.onBody(chunk(alloc, buf), false);
                    case IDLE, DONE -> throw new IllegalStateException("no response expected");
                    default -> readChunked(buf, sink);
                }
            }
            return buf.isReadable();
        } finally {
            if (buf == partialHead && state != State.HEAD) {
                releasePartialHead(); // what it held of the body went on as retained slices
            }
        }
    }

    /**
     * The avatar closed the connection: a body that ends with the close is complete (true); anything else that was
     * not complete is cut short (false), as is a connection closed before any response.
     */
    boolean endOfInput(ByteBufAllocator alloc, Sink sink) {
        releasePartialHead();
        if (state == State.BODY_UNTIL_CLOSE) {
            state = State.DONE;
            sink.onBody(alloc.buffer(LAST_CHUNK.length).writeBytes(LAST_CHUNK), true);
            return true;
        }
        boolean done = state == State.DONE;
        state = State.IDLE;
        return done;
    }

    /** Drops what is held (the connection is gone). */
    void release() {
        releasePartialHead();
        state = State.IDLE;
    }

    private void releasePartialHead() {
        if (partialHead != null) {
            partialHead.release();
            partialHead = null;
        }
    }

    // ---------------------------------------------------------------- head

    /** Reads one head if it is all there: false (nothing consumed) when more bytes are needed. */
    private boolean readHead(ByteBufAllocator alloc, ByteBuf buf, Sink sink) throws InvalidResponseException {
        int start = buf.readerIndex();
        int limit = Math.min(buf.writerIndex(), start + MAX_HEAD_BYTES);
        // a head that comes in pieces is searched from its last line start on, not from its beginning every time
        int end = endOfHead(buf, buf == partialHead ? start + headScanned : start, limit);
        if (end < 0) {
            if (buf.readableBytes() >= MAX_HEAD_BYTES) {
                throw new InvalidResponseException("response head over " + MAX_HEAD_BYTES + " bytes");
            }
            headScanned = -end - 1 - start;
            return false;
        }
        headScanned = 0;
        buf.readerIndex(end);
        // parsed from an array: a head is small, and array reads cost less than a buffer's checked reads
        int length = end - start;
        if (scratch.length < length) {
            scratch = new byte[Math.max(length, 2 * scratch.length)];
        }
        buf.getBytes(start, scratch, 0, length);
        parseHead(alloc, scratch, length, sink);
        return true;
    }

    /**
     * The index after the first blank line (CRLF or LF) in {@code [from, to)}, where {@code from} is a line start;
     * when there is none yet, {@code -1 - (the start of the last, unfinished line)}.
     */
    private static int endOfHead(ByteBuf buf, int from, int to) {
        int lineStart = from;
        int lf;
        while ((lf = buf.indexOf(lineStart, to, (byte) '\n')) >= 0) {
            int length = lf - lineStart;
            if (length == 0 || length == 1 && buf.getByte(lineStart) == '\r') {
                return lf + 1;
            }
            lineStart = lf + 1;
        }
        return -1 - lineStart;
    }

    /** Parses the head in {@code buf[0, end)} (blank line included) and hands it on. */
    private void parseHead(ByteBufAllocator alloc, byte[] buf, int end, Sink sink) throws InvalidResponseException {
        int start = 0; // named, for what follows reads as offsets into the head
        // status line: HTTP/1.x SP 3DIGIT [SP reason]
        int eol = indexOf(buf, start, end, (byte) '\n');
        int contentEnd = trimCr(buf, start, eol);
        if (contentEnd - start < 12 || !startsWith(buf, start, "HTTP/1.") || buf[start + 8] != ' ') {
            throw new InvalidResponseException("not an HTTP/1.x status line");
        }
        byte minor = buf[start + 7];
        if (minor != '0' && minor != '1') {
            throw new InvalidResponseException("not an HTTP/1.x status line");
        }
        int status = 0;
        for (int i = start + 9; i < start + 12; i++) {
            byte b = buf[i];
            if (b < '0' || b > '9') {
                throw new InvalidResponseException("invalid status code");
            }
            status = status * 10 + (b - '0');
        }
        if (status < 100) {
            throw new InvalidResponseException("invalid status code");
        }
        int reasonStart = start + 12;
        if (reasonStart < contentEnd) {
            if (buf[reasonStart] != ' ') {
                throw new InvalidResponseException("invalid status line");
            }
            reasonStart++;
            checkText(buf, reasonStart, contentEnd, "reason phrase");
        }

        // header lines
        lineCount = 0;
        connectionCount = 0;
        long contentLength = -1;
        boolean chunked = false;
        boolean close = minor == '0';
        int pos = eol + 1;
        while (true) {
            int lineEol = indexOf(buf, pos, end, (byte) '\n');
            int lineContentEnd = trimCr(buf, pos, lineEol);
            if (lineContentEnd == pos) {
                break; // the blank line
            }
            byte first = buf[pos];
            if (first == ' ' || first == '\t') {
                throw new InvalidResponseException("folded header line");
            }
            int colon = -1;
            for (int i = pos; i < lineContentEnd; i++) {
                byte b = buf[i];
                if (b == ':') {
                    colon = i;
                    break;
                }
                if (!isTokenChar(b)) {
                    throw new InvalidResponseException("invalid header name");
                }
            }
            if (colon <= pos) {
                throw new InvalidResponseException("invalid header line");
            }
            int valueStart = colon + 1;
            while (valueStart < lineContentEnd && isWhitespace(buf[valueStart])) {
                valueStart++;
            }
            int valueEnd = lineContentEnd;
            while (valueEnd > valueStart && isWhitespace(buf[valueEnd - 1])) {
                valueEnd--;
            }
            checkText(buf, valueStart, valueEnd, "header value");

            boolean forward = true;
            int nameLength = colon - pos;
            if (nameEquals(buf, pos, nameLength, "content-length")) {
                long n = parseContentLength(buf, valueStart, valueEnd);
                if (contentLength >= 0 && n != contentLength) {
                    throw new InvalidResponseException("conflicting Content-Length headers");
                }
                contentLength = n;
            } else if (nameEquals(buf, pos, nameLength, "transfer-encoding")) {
                if (chunked || !valueEquals(buf, valueStart, valueEnd, "chunked")) {
                    throw new InvalidResponseException("unsupported Transfer-Encoding");
                }
                chunked = true;
            } else if (nameEquals(buf, pos, nameLength, "connection")) {
                forward = false;
                addConnectionValue(valueStart, valueEnd);
                if (hasToken(buf, valueStart, valueEnd, "close")) {
                    close = true;
                } else if (minor == '0' && hasToken(buf, valueStart, valueEnd, "keep-alive")) {
                    close = false;
                }
            } else {
                forward = !isDropped(buf, pos, nameLength);
            }
            addLine(pos, colon, valueStart, valueEnd, forward);
            pos = lineEol + 1;
        }
        if (status < 200) {
            if (status == 101) {
                throw new InvalidResponseException("the avatar switched protocols");
            }
            return; // 1xx: the final response follows; the state stays HEAD
        }
        Framing framing;
        if (headRequest || status == 204 || status == 304) {
            framing = Framing.NONE;
        } else if (chunked) {
            framing = Framing.CHUNKED;
        } else if (contentLength >= 0) {
            framing = contentLength == 0 ? Framing.NONE : Framing.LENGTH;
        } else {
            framing = Framing.UNTIL_CLOSE;
            close = true;
        }
        keepAlive = !close;

        int expectedBody = framing == Framing.LENGTH && contentLength <= SMALL_BODY_BYTES ? (int) contentLength : 0;
        ByteBuf head = alloc.buffer(end - start + HEAD_HEADROOM + expectedBody);
        head.writeCharSequence("HTTP/1.1 ", StandardCharsets.US_ASCII);
        head.writeBytes(buf, start + 9, contentEnd - start - 9); // the code and the reason phrase
        if (contentEnd == start + 12) {
            head.writeByte(' '); // the space before an empty reason phrase is not optional
        }
        head.writeByte('\r').writeByte('\n');
        for (int k = 0; k < lineCount; k++) {
            int base = 5 * k;
            int nameLength = lines[base + 1] - lines[base];
            if (lines[base + 4] == 0 || chunked && nameEquals(buf, lines[base], nameLength, "content-length")
                    || connectionCount > 0 && isNamedByConnection(buf, lines[base], nameLength)) {
                continue;
            }
            head.writeBytes(buf, lines[base], lines[base + 1] - lines[base]);
            head.writeByte(':').writeByte(' ');
            head.writeBytes(buf, lines[base + 2], lines[base + 3] - lines[base + 2]);
            head.writeByte('\r').writeByte('\n');
        }
        if (framing == Framing.UNTIL_CLOSE) {
            head.writeBytes(CHUNKED_LINE);
        }
        switch (framing) {
            case NONE -> state = State.DONE;
            case LENGTH -> {
                state = State.BODY_LENGTH;
                remaining = contentLength;
            }
            case CHUNKED -> {
                state = State.CHUNK_SIZE;
                remaining = 0;
                chunkDigits = 0;
                lineBytes = 0;
                trailerBytes = 0;
            }
            case UNTIL_CLOSE -> state = State.BODY_UNTIL_CLOSE;
        }
        sink.onHead(status, head, keepAlive, framing == Framing.NONE);
    }

    private void addLine(int nameStart, int nameEnd, int valueStart, int valueEnd, boolean forward) {
        int base = 5 * lineCount;
        if (base + 5 > lines.length) {
            int[] bigger = new int[lines.length * 2];
            System.arraycopy(lines, 0, bigger, 0, lines.length);
            lines = bigger;
        }
        lines[base] = nameStart;
        lines[base + 1] = nameEnd;
        lines[base + 2] = valueStart;
        lines[base + 3] = valueEnd;
        lines[base + 4] = forward ? 1 : 0;
        lineCount++;
    }

    private void addConnectionValue(int start, int end) {
        if (2 * connectionCount + 2 > connectionValues.length) {
            int[] bigger = new int[connectionValues.length * 2];
            System.arraycopy(connectionValues, 0, bigger, 0, connectionValues.length);
            connectionValues = bigger;
        }
        connectionValues[2 * connectionCount] = start;
        connectionValues[2 * connectionCount + 1] = end;
        connectionCount++;
    }

    /** Whether a Connection header of this head names the header (never the two that frame the body). */
    private boolean isNamedByConnection(byte[] buf, int nameStart, int nameLength) {
        if (nameEquals(buf, nameStart, nameLength, "content-length")
                || nameEquals(buf, nameStart, nameLength, "transfer-encoding")) {
            return false;
        }
        for (int c = 0; c < connectionCount; c++) {
            if (anyToken(buf, connectionValues[2 * c], connectionValues[2 * c + 1],
                    (s, e) -> e - s == nameLength && regionsEqualIgnoreCase(buf, s, nameStart, nameLength))) {
                return true;
            }
        }
        return false;
    }

    private static boolean regionsEqualIgnoreCase(byte[] buf, int a, int b, int length) {
        for (int i = 0; i < length; i++) {
            if (lower(buf[a + i]) != lower(buf[b + i])) {
                return false;
            }
        }
        return true;
    }

    private static int lower(byte b) {
        return b >= 'A' && b <= 'Z' ? b + ('a' - 'A') : b;
    }

    private static int indexOf(byte[] buf, int from, int to, byte b) {
        for (int i = from; i < to; i++) {
            if (buf[i] == b) {
                return i;
            }
        }
        return -1;
    }

    private static int trimCr(byte[] buf, int start, int lf) {
        return lf > start && buf[lf - 1] == '\r' ? lf - 1 : lf;
    }

    private static boolean startsWith(byte[] buf, int at, String ascii) {
        for (int i = 0; i < ascii.length(); i++) {
            if (buf[at + i] != ascii.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Field text: visible characters, spaces, tabs and obs-text; no other control character. */
    private static void checkText(byte[] buf, int from, int to, String what) throws InvalidResponseException {
        for (int i = from; i < to; i++) {
            int b = buf[i] & 0xff;
            if (b < 0x20 && b != '\t' || b == 0x7f) {
                throw new InvalidResponseException("control character in a " + what);
            }
        }
    }

    private static long parseContentLength(byte[] buf, int from, int to) throws InvalidResponseException {
        if (from == to || to - from > 18) {
            throw new InvalidResponseException("invalid Content-Length");
        }
        long n = 0;
        for (int i = from; i < to; i++) {
            byte b = buf[i];
            if (b < '0' || b > '9') {
                throw new InvalidResponseException("invalid Content-Length");
            }
            n = n * 10 + (b - '0');
        }
        return n;
    }

    private static boolean isDropped(byte[] buf, int at, int length) {
        if (length >= 15 && regionEqualsIgnoreCase(buf, at, "access-control-", 15)) {
            return true;
        }
        for (String name : DROPPED) {
            if (nameEquals(buf, at, length, name)) {
                return true;
            }
        }
        return false;
    }

    private static boolean nameEquals(byte[] buf, int at, int length, String lowerName) {
        return length == lowerName.length() && regionEqualsIgnoreCase(buf, at, lowerName, length);
    }

    private static boolean valueEquals(byte[] buf, int from, int to, String lower) {
        return nameEquals(buf, from, to - from, lower);
    }

    private static boolean regionEqualsIgnoreCase(byte[] buf, int at, String lower, int length) {
        for (int i = 0; i < length; i++) {
            if (lower(buf[at + i]) != lower.charAt(i)) {
                return false;
            }
        }
        return true;
    }

    /** Whether a comma-separated list holds the token (case-insensitive, surrounding spaces ignored). */
    private static boolean hasToken(byte[] buf, int from, int to, String lower) {
        return anyToken(buf, from, to, (s, e) -> valueEquals(buf, s, e, lower));
    }

    /** A token of a list, as its bounds in the buffer. */
    private interface TokenTest {
        boolean test(int start, int end);
    }

    /** Whether a token of the comma-separated list in {@code [from, to)}, spaces around it trimmed, passes. */
    private static boolean anyToken(byte[] buf, int from, int to, TokenTest test) {
        int i = from;
        while (i < to) {
            int tokenEnd = indexOf(buf, i, to, (byte) ',');
            if (tokenEnd < 0) {
                tokenEnd = to;
            }
            int s = i;
            int e = tokenEnd;
            while (s < e && isWhitespace(buf[s])) {
                s++;
            }
            while (e > s && isWhitespace(buf[e - 1])) {
                e--;
            }
            if (test.test(s, e)) {
                return true;
            }
            i = tokenEnd + 1;
        }
        return false;
    }

    private static boolean isWhitespace(byte b) {
        return b == ' ' || b == '\t';
    }

    /** RFC 9110 tchar. */
    private static boolean isTokenChar(byte b) {
        if (b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b >= '0' && b <= '9') {
            return true;
        }
        return switch (b) {
            case '!', '#', '$', '%', '&', '\'', '*', '+', '-', '.', '^', '_', '`', '|', '~' -> true;
            default -> false;
        };
    }

    // ---------------------------------------------------------------- bodies

    /** What came of a body that ends with the connection, as one chunk for the browser. */
    private static ByteBuf chunk(ByteBufAllocator alloc, ByteBuf buf) {
        int n = buf.readableBytes();
        String size = Integer.toHexString(n);
        ByteBuf out = alloc.buffer(size.length() + n + 4);
        out.writeCharSequence(size, StandardCharsets.US_ASCII);
        out.writeByte('\r').writeByte('\n');
        out.writeBytes(buf);
        out.writeByte('\r').writeByte('\n');
        return out;
    }

    /**
     * Walks a chunked body as far as {@code buf} goes, checking its framing, and hands what it walked over to the
     * sink as it was (sizes, extensions and trailers included).
     */
    private void readChunked(ByteBuf buf, Sink sink) throws InvalidResponseException {
        int from = buf.readerIndex();
        int to = buf.writerIndex();
        int i = from;
        while (i < to && state != State.DONE) {
            if (state == State.CHUNK_DATA) {
                int n = (int) Math.min(remaining, to - i);
                i += n;
                remaining -= n;
                if (remaining == 0) {
                    state = State.CHUNK_DATA_CR;
                }
                continue;
            }
            byte b = buf.getByte(i++);
            switch (state) {
                case CHUNK_SIZE -> {
                    int digit = Character.digit(b, 16);
                    if (digit >= 0) {
                        if (++chunkDigits > 15) {
                            throw new InvalidResponseException("chunk size too large");
                        }
                        remaining = remaining * 16 + digit;
                    } else if (chunkDigits > 0 && (b == ';' || b == ' ' || b == '\t')) {
                        state = State.CHUNK_EXTENSION;
                    } else if (chunkDigits > 0 && b == '\r') {
                        state = State.CHUNK_SIZE_LF;
                    } else {
                        throw new InvalidResponseException("invalid chunk size");
                    }
                    lineBytes++;
                }
                case CHUNK_EXTENSION -> {
                    if (b == '\r') {
                        state = State.CHUNK_SIZE_LF;
                    } else if ((b & 0xff) < 0x20 && b != '\t' || b == 0x7f) {
                        throw new InvalidResponseException("invalid chunk extension");
                    }
                    if (++lineBytes > MAX_LINE_BYTES) {
                        throw new InvalidResponseException("chunk size line too long");
                    }
                }
                case CHUNK_SIZE_LF -> {
                    expect(b, '\n', "chunk size line");
                    lineBytes = 0;
                    chunkDigits = 0;
                    state = remaining == 0 ? State.TRAILER_START : State.CHUNK_DATA;
                }
                case CHUNK_DATA_CR -> {
                    expect(b, '\r', "chunk data");
                    state = State.CHUNK_DATA_LF;
                }
                case CHUNK_DATA_LF -> {
                    expect(b, '\n', "chunk data");
                    state = State.CHUNK_SIZE;
                }
                case TRAILER_START -> {
                    if (b == '\r') {
                        state = State.TRAILER_END_LF;
                    } else if (isTokenChar(b)) {
                        trailerColon = false;
                        state = State.TRAILER_LINE;
                    } else {
                        throw new InvalidResponseException("invalid trailer");
                    }
                    countTrailer();
                }
                case TRAILER_LINE -> {
                    if (b == '\r') {
                        if (!trailerColon) {
                            throw new InvalidResponseException("invalid trailer");
                        }
                        state = State.TRAILER_LINE_LF;
                    } else if (b == ':') {
                        trailerColon = true;
                    } else if (trailerColon ? (b & 0xff) < 0x20 && b != '\t' || b == 0x7f : !isTokenChar(b)) {
                        throw new InvalidResponseException("invalid trailer");
                    }
                    countTrailer();
                }
                case TRAILER_LINE_LF -> {
                    expect(b, '\n', "trailer");
                    state = State.TRAILER_START;
                }
                case TRAILER_END_LF -> {
                    expect(b, '\n', "chunked body");
                    state = State.DONE;
                }
                default -> throw new IllegalStateException(state.toString());
            }
        }
        buf.readerIndex(i);
        sink.onBody(buf.retainedSlice(from, i - from), state == State.DONE);
    }

    private void countTrailer() throws InvalidResponseException {
        if (++trailerBytes > MAX_LINE_BYTES) {
            throw new InvalidResponseException("trailers too long");
        }
    }

    private static void expect(byte b, char wanted, String where) throws InvalidResponseException {
        if (b != wanted) {
            throw new InvalidResponseException("invalid " + where + " framing");
        }
    }
}
