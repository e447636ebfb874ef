package dev.lectern.core.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LocalObjectStoreTest {
    private static final Instant NOW = Instant.parse("2026-11-22T06:00:00Z");
    private final UrlSigner signer = new UrlSigner("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.UTF_8));

    @TempDir
    Path dir;

    private LocalObjectStore store() {
        return new LocalObjectStore(dir.resolve("objects"), signer, "/api/objects/", Clock.fixed(NOW, ZoneOffset.UTC));
    }

    @Test
    void putGetDelete() {
        LocalObjectStore s = store();
        s.put("tts/a.mp3", new byte[] {1, 2, 3});
        assertThat(s.get("tts/a.mp3")).get().isEqualTo(new byte[] {1, 2, 3});
        assertThat(s.delete("tts/a.mp3")).isTrue();
        assertThat(s.get("tts/a.mp3")).isEmpty();
    }

    @Test
    void pathTricksAreRefused() {
        LocalObjectStore s = store();
        for (String key : new String[] {"../x", "tts/../../etc", "tts/..", "/etc/passwd", "tts/a/b", "tts/.hidden",
                "tts", "tts/", "tts/a b", "tts/a\u0000b"}) {
            assertThatThrownBy(() -> s.put(key, new byte[1])).as(key).isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void signedUrlsVerifyUntilTheyExpire() {
        LocalObjectStore s = store();
        String url = s.signedUrl("tts/a.mp3", Duration.ofSeconds(60));
        String expires = url.substring(url.indexOf("expires=") + 8, url.indexOf('&'));
        String sig = url.substring(url.indexOf("sig=") + 4);
        assertThat(url).startsWith("/api/objects/tts/a.mp3?expires=");
        long now = NOW.getEpochSecond();
        assertThat(signer.verify("tts/a.mp3", expires, sig, now)).isEqualTo(UrlSigner.Verdict.VALID);
        assertThat(signer.verify("tts/a.mp3", expires, sig, now + 61)).isEqualTo(UrlSigner.Verdict.EXPIRED);
        assertThat(signer.verify("tts/b.mp3", expires, sig, now)).isEqualTo(UrlSigner.Verdict.BAD_SIGNATURE);
        assertThat(signer.verify("tts/a.mp3", Long.toString(now + 9999), sig, now))
                .isEqualTo(UrlSigner.Verdict.BAD_SIGNATURE);
        assertThat(signer.verify("tts/a.mp3", "soon", sig, now)).isEqualTo(UrlSigner.Verdict.BAD_SIGNATURE);
        assertThat(signer.verify("tts/a.mp3", expires, null, now)).isEqualTo(UrlSigner.Verdict.BAD_SIGNATURE);
    }

    @Test
    void purgeRemovesOnlyOldObjects() throws Exception {
        LocalObjectStore s = store();
        s.put("tts/old.mp3", new byte[1]);
        s.put("tts/new.mp3", new byte[1]);
        s.put("uploads/u1.notes.pdf", new byte[1]);
        s.put("uploads-course-audio/c1-l1.mp3", new byte[1]);
        s.put("uploadsx/old.bin", new byte[1]);
        Files.setLastModifiedTime(s.path("uploads/u1.notes.pdf"), FileTime.from(NOW.minus(Duration.ofDays(200))));
        Files.setLastModifiedTime(s.path("uploads-course-audio/c1-l1.mp3"),
                FileTime.from(NOW.minus(Duration.ofDays(200))));
        Files.setLastModifiedTime(s.path("uploadsx/old.bin"), FileTime.from(NOW.minus(Duration.ofDays(2))));
        Files.setLastModifiedTime(s.path("tts/old.mp3"), FileTime.from(NOW.minus(Duration.ofDays(2))));
        Files.setLastModifiedTime(s.path("tts/new.mp3"), FileTime.from(NOW.minus(Duration.ofMinutes(5))));
        assertThat(s.purgeOlderThan(Duration.ofDays(1))).isEqualTo(2);
        assertThat(s.get("tts/old.mp3")).isEmpty();
        assertThat(s.get("uploadsx/old.bin")).isEmpty();
        assertThat(s.get("uploads-course-audio/c1-l1.mp3")).as("uploads-… buckets too").isPresent();
        assertThat(s.get("tts/new.mp3")).isPresent();
        assertThat(s.get("uploads/u1.notes.pdf")).as("uploads stay until deleted").isPresent();
    }

    @Test
    void aFileIsCopiedInAndOutWithoutLeavingTemporaryFiles() throws Exception {
        LocalObjectStore s = store();
        Path src = dir.resolve("src.bin");
        Files.write(src, new byte[] {9, 8, 7});
        s.put("uploads/u1.f.bin", src);
        Path back = dir.resolve("back.bin");
        assertThat(s.copyTo("uploads/u1.f.bin", back)).isTrue();
        assertThat(Files.readAllBytes(back)).containsExactly(9, 8, 7);
        assertThat(s.copyTo("uploads/none.bin", back)).isFalse();
        try (var files = Files.list(s.path("uploads/u1.f.bin").getParent())) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("u1.f.bin");
        }
    }
}
