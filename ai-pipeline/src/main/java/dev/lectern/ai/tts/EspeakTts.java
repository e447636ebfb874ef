package dev.lectern.ai.tts;

import java.io.IOException;
import java.io.InputStream;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;

/**
 * The local {@code espeak-ng} binary (WAV on stdout): the embedded default when it is installed. The text is passed
 * after {@code --}, never through a shell. Runs on the given executor (a process is blocking work).
 */
public final class EspeakTts implements TtsProvider {
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
            Process p = new ProcessBuilder(executable, "--version").redirectErrorStream(true).start();
            p.getInputStream().readAllBytes();
            return p.waitFor(5, TimeUnit.SECONDS) && p.exitValue() == 0;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
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
        return CompletableFuture.supplyAsync(() -> run(text), executor);
    }

    private byte[] run(String text) {
        List<String> cmd = voice.isEmpty() ? List.of(executable, "--stdout", "--", text)
                : List.of(executable, "--stdout", "-v", voice, "--", text);
        Process p = null;
        try {
            ProcessBuilder pb = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.DISCARD);
            dev.lectern.core.util.ChildEnvironment.keepOnly(pb.environment()); // never Lectern's secrets
            p = pb.start();
            p.getOutputStream().close();
            byte[] audio;
            try (InputStream in = p.getInputStream()) {
                audio = in.readAllBytes();
            }
            if (!p.waitFor(timeoutMillis, TimeUnit.MILLISECONDS)) {
                throw new TtsException("espeak-ng did not finish in time");
            }
            if (p.exitValue() != 0 || audio.length == 0) {
                throw new TtsException("espeak-ng failed with exit code " + p.exitValue());
            }
            return audio;
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
