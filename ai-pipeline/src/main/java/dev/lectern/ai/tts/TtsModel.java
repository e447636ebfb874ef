package dev.lectern.ai.tts;

import com.fasterxml.jackson.annotation.JsonProperty;
import java.util.List;

/**
 * One text-to-speech engine Lectern can speak with, as {@code GET /api/tts/models} lists it (keyed by engine): the
 * Virtual Tutor seed's fields, then Lectern's.
 *
 * @param fullName the engine's name for people
 * @param cloning ({@code clone}) whether it can speak with a voice cloned from a sample
 * @param status {@code active} (answers are spoken with it), {@code available} (usable: installed or configured, not
 *               the chosen one) or {@code unavailable}
 * @param license the engine's licence or terms
 * @param timbres the voices a companion's {@code voice} may name; null when they are not a fixed list (account voice ids)
 * @param curTimbre the voice used when a companion names none; null when the engine is not active
 * @param format the audio format of its clips
 */
public record TtsModel(@JsonProperty("full_name") String fullName,
                       @JsonProperty("clone") boolean cloning, String status, String license,
                       List<String> timbres, @JsonProperty("cur_timbre") String curTimbre, String format) {}
