package dev.lectern.media.livetalking;

import com.fasterxml.jackson.databind.JsonNode;

/**
 * The avatar's answer to an offer. {@code sessionId} stays the JSON value LiveTalking sent (a 6-digit int in
 * 2024-12..2026-04 builds, a uuid string after): sending {@code "123456"} back to an int build fails.
 */
public record OfferAnswer(String sdp, String type, JsonNode sessionId) {}
