package dev.lectern.lessons.render;

import dev.lectern.ai.tts.TtsProvider;
import dev.lectern.ai.tts.SentenceChunker;
import dev.lectern.lessons.plan.Cancellation;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.regex.Pattern;

/**
 * Speaks a scene's narration through the configured text-to-speech provider, in the scene's voice: one clip per
 * sentence (synthesised in parallel), joined into one WAV file, so that each sentence's start and end are exact.
 * PCM WAV clips (espeak-ng) are joined as they are; other formats (MP3 from the HTTP providers) are first decoded by
 * ffmpeg to one PCM format. Blocking: run it on a worker thread.
 */
public final class Narrator {
    /** Voice names as the providers spell them: {@code en-us}, {@code en+f3}, {@code mb/mb-en1}, {@code alloy}, ids. */
    private static final Pattern VOICE = Pattern.compile("[A-Za-z0-9][A-Za-z0-9_+./-]{0,63}");
    private static final int MAX_SENTENCE_CHARS = 300;

    private final TtsProvider tts; // null = none configured
    private final Ffmpeg ffmpeg;
    private final long timeoutMillis;

    public Narrator(TtsProvider tts, Ffmpeg ffmpeg, long timeoutMillis) {
        this.tts = tts;
        this.ffmpeg = ffmpeg;
        this.timeoutMillis = timeoutMillis;
    }

    /** The narration cut into sentences, as it is spoken and captioned. */
    public static List<String> sentences(String text) {
        SentenceChunker chunker = new SentenceChunker(1, MAX_SENTENCE_CHARS, 0);
        List<String> out = new ArrayList<>(chunker.feed(text.replaceAll("\\s+", " ").strip()));
        out.addAll(chunker.flush());
        return out;
    }

    /**
     * Synthesises {@code text} in {@code voice} (blank = the provider's configured voice) into {@code out} (a WAV
     * file). Temporary clips go beside it and are removed on every way out.
     */
    public Narration narrate(String text, String voice, Path out, Cancellation cancel) {
        if (tts == null) {
            throw new RenderException("tts_not_configured", "no text-to-speech provider is configured (ai.tts), so "
                    + "scenes cannot be narrated");
        }
        if (voice != null && !voice.isBlank() && !VOICE.matcher(voice.strip()).matches()) {
            throw new RenderException("invalid_voice", "voice must be a voice name such as en-us or alloy");
        }
        List<String> sentences = sentences(text);
        if (sentences.isEmpty()) {
            throw new RenderException("tts_failed", "the narration is empty");
        }
        RenderException.throwIfCancelled(cancel);
        TtsProvider speaker = tts.withVoice(voice);
        List<CompletableFuture<byte[]>> clips = new ArrayList<>(sentences.size());
        for (String s : sentences) {
            clips.add(speaker.synthesize(s));
        }
        CompletableFuture<Void> all = CompletableFuture.allOf(clips.toArray(CompletableFuture[]::new));
        try (Cancellation.Registration r = cancel.onCancel(() -> clips.forEach(c -> c.cancel(true)))) {
            all.get(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            clips.forEach(c -> c.cancel(true));
            throw new RenderException("tts_failed", "text-to-speech did not finish within " + timeoutMillis
                    + " ms (lessons.narrationTimeoutMillis)");
        } catch (InterruptedException e) {
            clips.forEach(c -> c.cancel(true));
            Thread.currentThread().interrupt();
            throw RenderException.cancelled();
        } catch (ExecutionException | java.util.concurrent.CancellationException e) {
            RenderException.throwIfCancelled(cancel);
            Throwable cause = e.getCause() == null ? e : e.getCause();
            throw new RenderException("tts_failed", "text-to-speech failed: " + cause.getMessage());
        }
        RenderException.throwIfCancelled(cancel);
        List<WavPcm> pcm = pcm(clips.stream().map(CompletableFuture::join).toList(), speaker.extension(), out, cancel);
        List<Narration.TimedText> timed = new ArrayList<>(sentences.size());
        double t = 0;
        for (int i = 0; i < sentences.size(); i++) {
            double end = t + pcm.get(i).seconds();
            timed.add(new Narration.TimedText(sentences.get(i), t, end));
            t = end;
        }
        try {
            WavPcm.write(out, pcm);
        } catch (IOException e) {
            throw new RenderException("render_io", "could not write the narration: " + e.getMessage());
        }
        return new Narration(out, t, timed);
    }

    /** The clips as PCM of one format: as they are when they already are, else decoded by ffmpeg. */
    private List<WavPcm> pcm(List<byte[]> clips, String extension, Path out, Cancellation cancel) {
        List<WavPcm> parsed = new ArrayList<>(clips.size());
        for (byte[] c : clips) {
            WavPcm.parse(c).ifPresent(parsed::add);
        }
        if (parsed.size() == clips.size()
                && parsed.stream().map(WavPcm::format).distinct().count() == 1) {
            return parsed;
        }
        String ext = extension.matches("[a-z0-9]{1,5}") ? extension : "bin";
        Path dir = out.toAbsolutePath().getParent();
        String stem = out.getFileName().toString() + ".clip";
        List<Path> temp = new ArrayList<>();
        try {
            List<WavPcm> decoded = new ArrayList<>(clips.size());
            for (int i = 0; i < clips.size(); i++) {
                Path in = dir.resolve(stem + i + "." + ext);
                Path wav = dir.resolve(stem + i + ".wav");
                temp.add(in);
                temp.add(wav);
                temp.add(dir.resolve(stem + i + ".log"));
                Files.write(in, clips.get(i));
                ffmpeg.run(List.of("-i", in.getFileName().toString(), "-vn", "-ac", "1", "-ar", "24000",
                        "-c:a", "pcm_s16le", "-f", "wav", wav.getFileName().toString()), dir,
                        stem + i + ".log", cancel);
                decoded.add(WavPcm.parse(Files.readAllBytes(wav)).orElseThrow(
                        () -> new RenderException("tts_failed", "the text-to-speech audio could not be decoded")));
            }
            return decoded;
        } catch (IOException e) {
            throw new RenderException("render_io", "could not decode the narration: " + e.getMessage());
        } finally {
            temp.forEach(WorkDirs::deleteQuietly);
        }
    }
}
