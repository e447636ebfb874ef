package dev.lectern.courses;

import dev.lectern.ai.retrieval.ExtractionException;
import dev.lectern.ai.retrieval.Transcriber;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Turns a recording into a timed transcript: {@code ffmpeg} cuts its audio into {@code segmentSeconds}-long mono
 * 16 kHz WAV pieces (one pass, listing each piece's start and end), each piece goes to the OpenAI-compatible
 * transcription service (a failing piece is tried again, up to {@code attempts} times), and the pieces' texts are
 * joined with their times. Blocking; processes are started through the given {@link Processes} so that the job's
 * cancel stops them.
 */
public final class TranscriptionPipeline {
    /** Starts a child process (the job's starter, which kills it on cancel). */
    @FunctionalInterface
    public interface Processes {
        Process start(ProcessBuilder builder) throws IOException;
    }

    /** Hears about each piece done: how many of how many. */
    @FunctionalInterface
    public interface Progress {
        void done(int pieces, int total);
    }

    /** A recording that cannot be cut or transcribed; the message says why and is safe to show. */
    public static final class TranscriptionException extends Exception {
        private static final long serialVersionUID = 1L;

        public TranscriptionException(String message) {
            super(message, null, false, false);
        }
    }

    private final String ffmpeg;
    private final String ffprobe;
    private final Transcriber transcriber;
    private final int segmentSeconds;
    private final int attempts;
    private final long retryMillis;

    public TranscriptionPipeline(String ffmpeg, String ffprobe, Transcriber transcriber, int segmentSeconds,
                                 int attempts, long retryMillis) {
        this.ffmpeg = ffmpeg;
        this.ffprobe = ffprobe;
        this.transcriber = transcriber;
        this.segmentSeconds = segmentSeconds;
        this.attempts = attempts;
        this.retryMillis = retryMillis;
    }

    /** Whether a transcription service is configured. */
    public boolean enabled() {
        return transcriber != null && transcriber.enabled();
    }

    /**
     * The recording's duration in milliseconds, by {@code ffprobe}; refuses a file without an audio stream (not a
     * recording, or a video without sound).
     */
    public long probe(Path recording, Processes processes) throws TranscriptionException {
        String out = run(processes, List.of(ffprobe, "-v", "error", "-select_streams", "a:0", "-show_entries",
                "stream=codec_type:format=duration", "-of", "csv=p=0", recording.toString()), 60);
        if (!out.contains("audio")) {
            throw new TranscriptionException("the recording has no audio stream");
        }
        for (String line : out.split("\\R")) {
            try {
                return Math.round(Double.parseDouble(line.strip()) * 1000);
            } catch (NumberFormatException e) {
                // the stream's line; the format's duration follows
            }
        }
        throw new TranscriptionException("the recording's duration cannot be read");
    }

    /** Cuts, transcribes and joins; {@code work} is an empty directory of this run's own. */
    public List<TranscriptSegment> transcribe(Path recording, Path work, Processes processes, Progress progress)
            throws TranscriptionException, InterruptedException {
        List<Piece> pieces = cut(recording, work, processes);
        List<TranscriptSegment> out = new ArrayList<>(pieces.size());
        for (int i = 0; i < pieces.size(); i++) {
            Piece p = pieces.get(i);
            String text = transcribePiece(p);
            out.add(new TranscriptSegment(i, p.startMs(), p.endMs(), text.strip(), false));
            try {
                Files.deleteIfExists(p.file());
            } catch (IOException e) {
                // the work directory goes as a whole afterwards
            }
            progress.done(i + 1, pieces.size());
        }
        return out;
    }

    private String transcribePiece(Piece p) throws TranscriptionException, InterruptedException {
        ExtractionException last = null;
        for (int attempt = 1; attempt <= attempts; attempt++) {
            if (Thread.currentThread().isInterrupted()) {
                throw new InterruptedException();
            }
            try {
                return transcriber.transcribe(p.file(), p.file().getFileName().toString(), "audio/wav");
            } catch (ExtractionException e) {
                last = e;
                if (attempt < attempts && retryMillis > 0) {
                    Thread.sleep(retryMillis * attempt);
                }
            }
        }
        throw new TranscriptionException("the piece at " + Timestamps.clock(p.startMs()) + " failed " + attempts
                + " times: " + last.getMessage());
    }

    /** One piece of the recording, with where it lies in it. */
    record Piece(Path file, long startMs, long endMs) {}

    List<Piece> cut(Path recording, Path work, Processes processes) throws TranscriptionException {
        Path list = work.resolve("pieces.csv");
        run(processes, List.of(ffmpeg, "-nostdin", "-v", "error", "-i", recording.toString(), "-vn", "-ac", "1",
                "-ar", "16000", "-c:a", "pcm_s16le", "-f", "segment", "-segment_time", Integer.toString(segmentSeconds),
                "-segment_list", list.toString(), "-segment_list_type", "csv",
                work.resolve("piece-%05d.wav").toString()), 3600);
        List<Piece> pieces = new ArrayList<>();
        try (Stream<String> lines = Files.lines(list, StandardCharsets.UTF_8)) {
            for (String line : (Iterable<String>) lines::iterator) {
                String[] f = line.split(",");
                if (f.length < 3) {
                    continue;
                }
                pieces.add(new Piece(work.resolve(f[0].strip()), seconds(f[1]), seconds(f[2])));
            }
        } catch (IOException | NumberFormatException e) {
            throw new TranscriptionException("ffmpeg listed no pieces: " + e.getMessage());
        }
        if (pieces.isEmpty()) {
            throw new TranscriptionException("the recording has no audio to transcribe");
        }
        return pieces;
    }

    private static long seconds(String s) {
        return Math.round(Double.parseDouble(s.strip()) * 1000);
    }

    /** Runs a process, returns its output (stdout and stderr, at most 64 KiB kept), fails on a non-zero exit. */
    private static String run(Processes processes, List<String> command, long timeoutSeconds)
            throws TranscriptionException {
        Process p;
        try {
            p = processes.start(new ProcessBuilder(command).redirectErrorStream(true));
        } catch (IOException e) {
            throw new TranscriptionException(command.get(0) + " cannot be started (is it installed?): "
                    + e.getMessage());
        }
        try {
            byte[] out = p.getInputStream().readNBytes(64 * 1024);
            p.getInputStream().transferTo(java.io.OutputStream.nullOutputStream());
            if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new TranscriptionException(command.get(0) + " took longer than " + timeoutSeconds + " s");
            }
            String text = new String(out, StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                String first = text.lines().findFirst().orElse("").toLowerCase(Locale.ROOT);
                throw new TranscriptionException(command.get(0).replaceAll(".*/", "") + " cannot read the recording"
                        + (first.isEmpty() ? "" : ": " + first.substring(0, Math.min(200, first.length()))));
            }
            return text;
        } catch (IOException e) {
            p.destroyForcibly();
            throw new TranscriptionException(command.get(0) + " failed: " + e.getMessage());
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
            throw new TranscriptionException("interrupted");
        }
    }
}
