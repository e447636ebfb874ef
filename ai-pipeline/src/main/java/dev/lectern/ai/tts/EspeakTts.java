package dev.lectern.ai.tts;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The local {@code espeak-ng} binary (WAV on stdout): the embedded default when it is installed. The text is passed
 * after {@code --}, never through a shell. Runs on the given executor (a process is blocking work); {@link #stream}
 * hands each read of the pipe on as it comes.
 */
public final class EspeakTts implements TtsProvider {
    private static final int READ_BYTES = 16 * 1024;

    private final String executable;
    private final String voice;
    private final Executor executor;
    private final long timeoutMillis;

    public EspeakTts(String executable, String voice, Executor executor, long timeoutMillis) {
        this.executable = executable;
        this.voice = voice;
        this.executor = executor;
        this.timeoutMillis = timeoutMillis;
    }

    /** True when {@code executable --version} runs and exits 0 within a few seconds. */
    public static boolean available(String executable) {
        try {
            Process p = new ProcessBuilder(executable, "--version").redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly(); // a hung binary is as good as none
                return false;
            }
            return p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /**
     * The voice names {@code executable --voices} lists (its Language column, what {@code -v} takes); empty when it
     * cannot be run. Blocking, a few milliseconds: called once at start-up.
     */
    public static List<String> voices(String executable) {
        try {
            ProcessBuilder pb = new ProcessBuilder(executable, "--voices").redirectErrorStream(true);
            dev.lectern.core.util.ChildEnvironment.keepOnly(pb.environment());
            Process p = pb.start();
            List<String> out = new java.util.ArrayList<>();
            try (java.io.BufferedReader r = new java.io.BufferedReader(new java.io.InputStreamReader(
                    p.getInputStream(), java.nio.charset.StandardCharsets.UTF_8))) {
                String line = r.readLine(); // the header
                while ((line = r.readLine()) != null && out.size() < 1000) {
                    String[] cols = line.strip().split("\\s+");
                    if (cols.length > 1) {
                        out.add(cols[1]);
                    }
                }
            }
            if (!p.waitFor(5, TimeUnit.SECONDS)) {
                p.destroyForcibly();
            }
            return List.copyOf(out);
        } catch (IOException e) {
            return List.of();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return List.of();
        }
    }

    @Override
    public String name() {
        return "espeak";
    }

    @Override
    public String extension() {
        return "wav";
    }

    @Override
    public TtsProvider withVoice(String newVoice) {
        return newVoice == null || newVoice.isBlank() ? this
                : new EspeakTts(executable, newVoice.strip(), executor, timeoutMillis);
    }

    @Override
    public CompletableFuture<byte[]> synthesize(String text) {
        return CompletableFuture.supplyAsync(() -> {
            ByteArrayOutputStream all = new ByteArrayOutputStream();
            run(text, all::writeBytes);
            return all.toByteArray();
        }, executor);
    }

    /** espeak-ng writes the WAV to its stdout as it synthesises: each read of the pipe goes on at once. */
    @Override
    public CompletableFuture<Void> stream(String text, AudioOut out) {
        return CompletableFuture.runAsync(() -> run(text, out), executor);
    }

    /** The pipe is read on the executor's thread, which may block. */
    @Override
    public boolean streamsOnBlockingThread() {
        return true;
    }

    private void run(String text, AudioOut out) {
        List<String> cmd = voice.isEmpty() ? List.of(executable, "--stdout", "--", text)
                : List.of(executable, "--stdout", "-v", voice, "--", text);
        Process p = null;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
            dev.lectern.core.util.ChildEnvironment.keepOnly(pb.environment()); // never Lectern's secrets
            p = pb.start();
            p.getOutputStream().close();
            long total = 0;
            try (InputStream in = p.getInputStream()) {
                byte[] buf = new byte[READ_BYTES];
                int n;
                while ((n = in.read(buf)) > 0) {
                    total += n;
                    out.write(Arrays.copyOf(buf, n));
                }
            }
            if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                throw new TtsException("espeak-ng did not finish in time");
            }
            if (p.exitValue() != 0 || total == 0) {
                throw new TtsException("espeak-ng failed with exit code " + p.exitValue());
            }
        } catch (IOException e) {
            throw new TtsException("espeak-ng could not run: " + e.getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new TtsException("interrupted");
        } finally {
            if (p != null && p.isAlive()) {
                p.destroyForcibly();
            }
        }
    }
}
