package dev.lectern.signaling.room;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.config.SignalingConfig;
import java.nio.charset.StandardCharsets;

/** Shape and size checks for what clients send into rooms; each failure is a {@link SignalingError}. */
public final class RelayValidator {
    private static final int MAX_SENDER_CHARS = 128;

    private final SignalingConfig config;

    public RelayValidator(SignalingConfig config) {
        this.config = config;
    }

    /** True when {@code s} holds only ASCII letters, digits and {@code extra} (checked on every relay: no regex). */
    private static boolean only(String s, String extra) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || extra.indexOf(c) >= 0)) {
                return false;
            }
        }
        return true;
    }

    public static JsonNode object(JsonNode data) {
        if (data == null || !data.isObject()) {
            throw new SignalingError("bad_request", "data must be an object");
        }
        return data;
    }

    public String roomId(JsonNode data) {
        JsonNode v = object(data).get("room_id");
        if (v == null || !v.isTextual() || v.asText().isEmpty()) {
            throw new SignalingError("bad_request", "room_id must be a non-empty string");
        }
        String id = v.asText();
        if (id.length() > config.maxRoomIdChars() || !only(id, "_.:@-")) {
            throw new SignalingError("bad_request", "room_id must be at most " + config.maxRoomIdChars()
                    + " characters of A-Z a-z 0-9 _ . : @ -");
        }
        return id;
    }

    /** The optional target peer; null means the rest of the room. */
    public static String target(JsonNode data) {
        JsonNode v = data.get("to");
        if (v == null || v.isNull()) {
            return null;
        }
        if (!v.isTextual() || v.asText().isEmpty() || v.asText().length() > 64 || !only(v.asText(), "_-")) {
            throw new SignalingError("bad_request", "to must be a peer id");
        }
        return v.asText();
    }

    public String sdp(JsonNode data) {
        JsonNode v = data.get("sdp");
        if (v == null || !v.isTextual()) {
            throw new SignalingError("invalid_sdp", "sdp must be a string");
        }
        String sdp = v.asText();
        if (!sdp.startsWith("v=0")) {
            throw new SignalingError("invalid_sdp", "sdp must start with v=0");
        }
        if (sdp.length() > config.maxSdpBytes() || sdp.getBytes(StandardCharsets.UTF_8).length > config.maxSdpBytes()) {
            throw new SignalingError("invalid_sdp", "sdp larger than " + config.maxSdpBytes() + " bytes");
        }
        return sdp;
    }

    /**
     * A browser RTCIceCandidate ({@code {candidate, sdpMid?, sdpMLineIndex?, usernameFragment?}}) or null
     * (end of candidates). Returns the candidate as received.
     */
    public JsonNode candidate(JsonNode data) {
        if (!data.has("candidate")) {
            throw new SignalingError("invalid_candidate", "candidate is required");
        }
        JsonNode c = data.get("candidate");
        if (c.isNull()) {
            return c;
        }
        if (!c.isObject()) {
            throw new SignalingError("invalid_candidate", "candidate must be an object or null");
        }
        var it = c.fieldNames();
        while (it.hasNext()) {
            String f = it.next();
            if (!f.equals("candidate") && !f.equals("sdpMid") && !f.equals("sdpMLineIndex")
                    && !f.equals("usernameFragment")) {
                throw new SignalingError("invalid_candidate", "unexpected candidate field " + truncate(f));
            }
        }
        JsonNode line = c.get("candidate");
        if (line == null || !line.isTextual() || line.asText().length() > config.maxCandidateChars()
                || !(line.asText().isEmpty() || line.asText().startsWith("candidate:"))) {
            throw new SignalingError("invalid_candidate", "candidate.candidate must be an a=candidate line"
                    + " (\"candidate:...\", at most " + config.maxCandidateChars() + " characters) or empty");
        }
        JsonNode mid = c.get("sdpMid");
        if (mid != null && !mid.isNull() && !(mid.isTextual() && mid.asText().length() <= 64)) {
            throw new SignalingError("invalid_candidate", "candidate.sdpMid must be a short string or null");
        }
        JsonNode index = c.get("sdpMLineIndex");
        if (index != null && !index.isNull() && !(index.isInt() && index.asInt() >= 0 && index.asInt() < 1024)) {
            throw new SignalingError("invalid_candidate", "candidate.sdpMLineIndex must be a small integer or null");
        }
        JsonNode ufrag = c.get("usernameFragment");
        if (ufrag != null && !ufrag.isNull() && !(ufrag.isTextual() && ufrag.asText().length() <= 256)) {
            throw new SignalingError("invalid_candidate", "candidate.usernameFragment must be a short string or null");
        }
        return c;
    }

    public String message(JsonNode data) {
        JsonNode v = data.get("message");
        if (v == null || !v.isTextual() || v.asText().isBlank()) {
            throw new SignalingError("invalid_message", "message must be a non-empty string");
        }
        if (v.asText().length() > config.maxMessageChars()) {
            throw new SignalingError("invalid_message", "message longer than " + config.maxMessageChars() + " characters");
        }
        return v.asText();
    }

    /**
     * Who a chat message is from: always the caller's user id, set by the server (issue #19 item 10). A
     * {@code sender} the client sends is checked (a string; never {@code "ai"}, the tutor's) and otherwise ignored.
     */
    public static String sender(JsonNode data, String userId) {
        JsonNode v = data.get("sender");
        if (v == null || v.isNull()) {
            return userId;
        }
        if (!v.isTextual() || v.asText().length() > MAX_SENDER_CHARS) {
            throw new SignalingError("bad_request", "sender must be a string of at most " + MAX_SENDER_CHARS + " characters");
        }
        if (v.asText().strip().equalsIgnoreCase("ai")) {
            // the tutor's name: nobody may put words in its mouth
            throw new SignalingError("bad_request", "sender \"ai\" is reserved for the tutor");
        }
        return userId;
    }

    private static String truncate(String s) {
        return s.length() > 32 ? s.substring(0, 32) + "…" : s;
    }
}
