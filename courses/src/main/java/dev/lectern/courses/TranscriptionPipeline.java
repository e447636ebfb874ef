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

    /**
     * Cuts, transcribes and joins; {@code work} is an empty directory of this run's own. Pieces are sent as soon as
     * {@code ffmpeg} has finished them (it lists each in its segment list when it closes it), so the cutting of the
     * rest overlaps the transcription of the first. {@code durationMs} (from {@link #probe}) sizes the progress.
     */
    public List<TranscriptSegment> transcribe(Path recording, Path work, long durationMs, Processes processes,
                                              Progress progress) throws TranscriptionException, InterruptedException {
        Path list = work.resolve("pieces.csv");
        Path log = work.resolve("ffmpeg.log");
        Process ffmpeg;
        try {
            ffmpeg = processes.start(new ProcessBuilder(cutCommand(recording, work, list)).redirectErrorStream(true)
                    .redirectOutput(log.toFile()));
        } catch (IOException e) {
            throw new TranscriptionException("ffmpeg cannot be started (is it installed?): " + e.getMessage());
        }
        // the last piece may be a few ms long (container padding): round, and trust the list once it is longer
        int expected = (int) Math.max(1, Math.round((double) durationMs / (segmentSeconds * 1000L)));
        long deadline = System.nanoTime() + TimeUnit.HOURS.toNanos(1);
        List<TranscriptSegment> out = new ArrayList<>();
        try {
            while (true) {
                boolean exited = ffmpeg.waitFor(50, TimeUnit.MILLISECONDS);
                List<Piece> listed = listed(list);
                for (int i = out.size(); i < listed.size(); i++) {
                    Piece p = listed.get(i);
                    out.add(new TranscriptSegment(i, p.startMs(), p.endMs(), transcribePiece(p).strip(), false));
                    try {
                        Files.deleteIfExists(p.file());
                    } catch (IOException e) {
                        // the work directory goes as a whole afterwards
                    }
                    progress.done(i + 1, Math.max(expected, listed.size()));
                }
                if (exited && listed(list).size() == out.size()) {
                    break;
                }
                if (System.nanoTime() > deadline) {
                    throw new TranscriptionException("ffmpeg took longer than an hour to cut the recording");
                }
            }
        } finally {
            ffmpeg.destroyForcibly();
        }
        if (ffmpeg.exitValue() != 0) {
            String first;
            try {
                first = Files.readAllLines(log).stream().findFirst().orElse("");
            } catch (IOException e) {
                first = "";
            }
            throw new TranscriptionException("ffmpeg cannot read the recording"
                    + (first.isEmpty() ? "" : ": " + first.substring(0, Math.min(200, first.length()))));
        }
        if (out.isEmpty()) {
            throw new TranscriptionException("the recording has no audio to transcribe");
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

    private List<String> cutCommand(Path recording, Path work, Path list) {
        return List.of(ffmpeg, "-nostdin", "-v", "error", "-i", recording.toString(), "-vn", "-ac", "1", "-ar",
                "16000", "-c:a", "pcm_s16le", "-f", "segment", "-segment_time", Integer.toString(segmentSeconds),
                "-segment_list", list.toString(), "-segment_list_type", "csv", "-segment_list_flags", "+live",
                work.resolve("piece-%05d.wav").toString());
    }

    /** The pieces ffmpeg has finished so far: the complete lines of its segment list. */
    static List<Piece> listed(Path list) throws TranscriptionException {
        if (!Files.exists(list)) {
            return List.of();
        }
        String text;
        try {
            text = Files.readString(list, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new TranscriptionException("ffmpeg's piece list cannot be read: " + e.getMessage());
        }
        List<Piece> pieces = new ArrayList<>();
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return pieces;
        }
        for (String line : text.substring(0, end).split("\n")) {
            String[] f = line.strip().split(",");
            if (f.length < 3) {
                continue;
            }
            try {
                pieces.add(new Piece(list.resolveSibling(f[0].strip()), seconds(f[1]), seconds(f[2])));
            } catch (NumberFormatException e) {
                throw new TranscriptionException("ffmpeg listed a piece without times: " + line);
            }
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
