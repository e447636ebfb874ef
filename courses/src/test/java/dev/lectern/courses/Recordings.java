package dev.lectern.courses;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Lecture recordings made for the tests with espeak-ng (speech) and ffmpeg (silence, encoding). */
final class Recordings {
    private Recordings() {}

    /** Spoken text followed by silence up to {@code totalSeconds}, encoded as {@code name} (its extension decides). */
    static Path speechThenSilence(Path dir, String name, String text, int totalSeconds) throws IOException,
            InterruptedException {
        Path speech = dir.resolve(name + ".speech.wav");
        run(List.of("espeak-ng", "-w", speech.toString(), text));
        Path out = dir.resolve(name);
        List<String> cmd = new ArrayList<>(List.of("ffmpeg", "-nostdin", "-v", "error", "-y", "-i", speech.toString(),
                "-af", "apad=whole_dur=" + totalSeconds, "-ac", "1", "-ar", "16000"));
        if (name.endsWith(".mp3")) {
            cmd.addAll(List.of("-c:a", "libmp3lame", "-b:a", "16k"));
        }
        cmd.add(out.toString());
        run(cmd);
        Files.delete(speech);
        return out;
    }

    private static void run(List<String> command) throws IOException, InterruptedException {
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(300, TimeUnit.SECONDS) || p.exitValue() != 0) {
            throw new IOException(command.get(0) + " failed: " + out);
        }
    }
}
