package dev.lectern.lessons.render;

import dev.lectern.lessons.plan.Cancellation;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The {@code ffmpeg} binary, found at a configured path or on {@code PATH}, and run as a child process that is
 * time-limited and killed on cancel. Arguments go straight to the process, never through a shell. Its log goes to a
 * file in the work's own directory; the tail of it becomes the error message when a run fails.
 */
public final class Ffmpeg {
    private static final int LOG_TAIL_CHARS = 600;
    private static final long KILL_GRACE_MILLIS = 2000;

    private final String configuredPath;
    private final long timeoutMillis;
    private volatile Path executable; // resolved and checked on first use

    /**
     * @param configuredPath {@code lessons.ffmpegPath}; blank = {@code ffmpeg} on {@code PATH}
     * @param timeoutMillis the longest one run may take
     */
    public Ffmpeg(String configuredPath, long timeoutMillis) {
        this.configuredPath = configuredPath == null ? "" : configuredPath.strip();
        this.timeoutMillis = timeoutMillis;
    }

    /**
     * The binary, checked once to run and to have the encoders lessons use (libx264, aac). Throws
     * {@code ffmpeg_not_found} or {@code ffmpeg_unsupported}.
     */
    public Path executable() {
        Path p = executable;
        if (p == null) {
            synchronized (this) {
                p = executable;
                if (p == null) {
                    p = locate();
                    checkEncoders(p);
                    executable = p;
                }
            }
        }
        return p;
    }

    private Path locate() {
        if (!configuredPath.isEmpty()) {
            Path p = Path.of(configuredPath);
            if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                return p;
            }
            throw new RenderException("ffmpeg_not_found", "lessons.ffmpegPath does not name an executable ffmpeg ("
                    + configuredPath + ")");
        }
        String path = System.getenv("PATH");
        if (path != null) {
            for (String dir : path.split(File.pathSeparator)) {
                if (dir.isEmpty()) {
                    continue;
                }
                Path p = Path.of(dir, "ffmpeg");
                if (Files.isRegularFile(p) && Files.isExecutable(p)) {
                    return p;
                }
            }
        }
        throw new RenderException("ffmpeg_not_found", "ffmpeg was not found on PATH; install it (Debian: apt-get "
                + "install ffmpeg) or set lessons.ffmpegPath");
    }

    private void checkEncoders(Path exe) {
        Path log = null;
        try {
            log = Files.createTempFile("lectern-ffmpeg-encoders", ".txt");
            Process p = new ProcessBuilder(exe.toString(), "-hide_banner", "-nostdin", "-encoders")
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectErrorStream(true).redirectOutput(log.toFile()).start();
            if (!p.waitFor(30, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new RenderException("ffmpeg_unsupported", "ffmpeg -encoders did not answer in time");
            }
            String out = Files.readString(log, StandardCharsets.ISO_8859_1);
            if (p.exitValue() != 0 || !out.contains(" libx264 ") || !out.contains(" aac ")) {
                throw new RenderException("ffmpeg_unsupported", "this ffmpeg lacks the libx264 or aac encoder "
                        + "(Debian's ffmpeg package has both)");
            }
        } catch (IOException e) {
            throw new RenderException("ffmpeg_not_found", "ffmpeg could not be started: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw RenderException.cancelled();
        } finally {
            WorkDirs.deleteQuietly(log);
        }
    }

    /**
     * Runs ffmpeg with {@code args} (after the common {@code -hide_banner -nostdin -v error -y}) in {@code workDir},
     * its log in {@code workDir/<logName>}. Blocks until it exits; kills it on timeout ({@code render_timeout}), on
     * cancel or interrupt ({@code cancelled}); a non-zero exit is {@code ffmpeg_failed} with the log's tail.
     */
    public void run(List<String> args, Path workDir, String logName, Cancellation cancel) {
        RenderException.throwIfCancelled(cancel);
        List<String> cmd = new ArrayList<>(args.size() + 6);
        cmd.add(executable().toString());
        cmd.addAll(List.of("-hide_banner", "-nostdin", "-v", "error", "-y"));
        cmd.addAll(args);
        Path log = workDir.resolve(logName);
        Process p;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).directory(workDir.toFile())
                    .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
                    .redirectOutput(log.toFile()).redirectErrorStream(true);
            dev.lectern.core.util.ChildEnvironment.keepOnly(pb.environment()); // never Lectern's secrets
            p = pb.start();
        } catch (IOException e) {
            throw new RenderException("ffmpeg_not_found", "ffmpeg could not be started: " + e.getMessage());
        }
        boolean exited;
        // on cancel: killed at once, from the cancelling thread (its output is a temporary file, dropped anyway)
        try (Cancellation.Registration r = cancel.onCancel(() -> destroyTree(p))) {
            exited = p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            kill(p);
            Thread.currentThread().interrupt();
            throw RenderException.cancelled();
        } finally {
            if (p.isAlive()) {
                kill(p);
            }
        }
        if (cancel.isCancelled()) {
            throw RenderException.cancelled();
        }
        if (!exited) {
            throw new RenderException("render_timeout", "ffmpeg did not finish within "
                    + Duration.ofMillis(timeoutMillis).toSeconds() + " s (lessons.encodeTimeoutMillis) and was killed");
        }
        if (p.exitValue() != 0) {
            throw new RenderException("ffmpeg_failed", "ffmpeg failed with exit code " + p.exitValue() + ": "
                    + tail(log, workDir));
        }
    }

    private static void destroyTree(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroyForcibly();
    }

    /** Asks the process to stop, then kills it (and anything it started) when it does not within a grace period. */
    private static void kill(Process p) {
        p.descendants().forEach(ProcessHandle::destroyForcibly);
        p.destroy();
        try {
            if (!p.waitFor(KILL_GRACE_MILLIS, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                p.waitFor(KILL_GRACE_MILLIS, TimeUnit.MILLISECONDS);
            }
        } catch (InterruptedException e) {
            p.destroyForcibly();
            Thread.currentThread().interrupt();
        }
    }

    private static String tail(Path log, Path workDir) {
        try {
            String s = new String(Files.readAllBytes(log), StandardCharsets.UTF_8).strip();
            s = s.replace(workDir.toString() + File.separator, "").replace(workDir.toString(), ".");
            return s.length() > LOG_TAIL_CHARS ? "…" + s.substring(s.length() - LOG_TAIL_CHARS) : s;
        } catch (IOException | RuntimeException e) {
            return "(no log)";
        }
    }
}
