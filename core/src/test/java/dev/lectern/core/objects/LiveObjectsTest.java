package dev.lectern.core.objects;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LiveObjectsTest {
    @TempDir
    Path dir;

    private LocalObjectStore store;
    private LiveObjects live;

    @BeforeEach
    void setUp() {
        UrlSigner signer = new UrlSigner("0123456789abcdef0123456789abcdef".getBytes(StandardCharsets.US_ASCII));
        Clock clock = Clock.fixed(Instant.parse("2026-12-07T00:00:00Z"), ZoneOffset.UTC);
        store = new LocalObjectStore(dir.resolve("objects"), signer, "/api/objects/", clock);
        live = new LiveObjects(store, signer, "/api/objects/", clock, dir.resolve("live"), 1024 * 1024);
    }

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.US_ASCII);
    }

    private static String string(ByteBuffer b) {
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return new String(out, StandardCharsets.US_ASCII);
    }

    @Test
    void readersSeeWhatIsWrittenAndAreWokenWhenMoreComesThenTheObjectIsStored() {
        LiveObject o = live.create("tts/a.wav");
        assertThat(live.find("tts/a.wav")).containsSame(o);
        assertThat(o.open()).isTrue();
        AtomicInteger woken = new AtomicInteger();
        assertThat(o.whenLongerThan(0, woken::incrementAndGet)).isTrue();

        o.write(bytes("RIFF"), 0, 4);
        assertThat(woken).hasValue(1);
        assertThat(o.length()).isEqualTo(4);
        assertThat(string(o.readMemory(0, 16))).isEqualTo("RIFF");
        ByteBuffer fromDisk = ByteBuffer.allocate(2);
        assertThat(o.read(2, fromDisk)).isEqualTo(2);
        assertThat(string(fromDisk.flip())).isEqualTo("FF");
        assertThat(o.whenLongerThan(2, woken::incrementAndGet)).isFalse(); // already longer: read now

        assertThat(o.whenLongerThan(4, woken::incrementAndGet)).isTrue();
        o.complete();
        assertThat(woken).hasValue(2);
        assertThat(o.state()).isEqualTo(LiveObject.State.COMPLETE);
        assertThat(store.get("tts/a.wav")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("RIFF")));
        assertThat(live.find("tts/a.wav")).isEmpty();

        // it stays readable for the reader that still has it; a small object never had a spool file
        assertThat(string(o.readMemory(0, 4))).isEqualTo("RIFF");
        o.release();
        assertThat(o.open()).isFalse();
        assertNoSpoolFile("live");
    }

    @Test
    void aWriteBeyondTheCapFailsTheObjectAndNothingIsStored() {
        LiveObjects small = new LiveObjects(store, store.signer(), "/api/objects/", Clock.systemUTC(),
                dir.resolve("small"), 8);
        LiveObject o = small.create("tts/b.mp3");
        o.write(bytes("12345"), 0, 5);
        assertThatThrownBy(() -> o.write(bytes("6789"), 0, 4)).isInstanceOf(IllegalStateException.class);
        assertThat(o.state()).isEqualTo(LiveObject.State.FAILED);
        assertThat(small.find("tts/b.mp3")).isEmpty();
        assertThat(store.get("tts/b.mp3")).isEmpty();
        assertNoSpoolFile("small");
    }

    @Test
    void onlyTheStartOfALargeObjectIsKeptInMemory() {
        LiveObject o = live.create("tts/c.wav");
        byte[] piece = new byte[64 * 1024];
        for (int written = 0; written < LiveObject.MEMORY_BYTES + piece.length; written += piece.length) {
            o.write(piece, 0, piece.length);
        }
        assertThat(o.readMemory(LiveObject.MEMORY_BYTES - 1, 16).remaining()).isEqualTo(1);
        assertThat(o.readMemory(LiveObject.MEMORY_BYTES, 16)).isNull();
        assertThat(o.readMemory(0, 16).isReadOnly()).isTrue();
    }

    @Test
    void creatingTouchesNoDiskSoItsUrlCanGoOutBeforeTheFirstBytesAreWrittenAndAnEmptyObjectStillStores() {
        LiveObject o = live.create("tts/f.wav");
        assertThat(dir.resolve("live")).doesNotExist(); // no spool file (nor directory) until the first write
        assertThat(o.open()).isTrue();
        AtomicInteger woken = new AtomicInteger();
        assertThat(o.whenLongerThan(0, woken::incrementAndGet)).isTrue(); // a reader that came first waits
        o.write(bytes("ID3"), 0, 3);
        assertThat(woken).hasValue(1);
        assertThat(string(o.readMemory(0, 16))).isEqualTo("ID3");
        o.complete();
        o.release();
        assertThat(store.get("tts/f.wav")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("ID3")));

        LiveObject empty = live.create("tts/g.wav");
        empty.complete();
        assertThat(store.get("tts/g.wav")).hasValueSatisfying(b -> assertThat(b).isEmpty());
        assertNoSpoolFile("live");
    }

    @Test
    void aSmallObjectIsWrittenWithoutIoAndOneThatOutgrowsMemoryMovesToASpoolFileWithItsStartCopiedIn() {
        LiveObject small = live.create("tts/h.mp3");
        assertThat(small.tryWriteInMemory(bytes("ID3-small"), 0, 9)).isTrue();
        assertNoSpoolFile("live");
        small.complete();
        assertThat(store.get("tts/h.mp3")).hasValueSatisfying(b -> assertThat(b).isEqualTo(bytes("ID3-small")));

        LiveObject large = live.create("tts/i.wav");
        assertThat(large.open()).isTrue();
        byte[] piece = new byte[100 * 1024];
        byte[] whole = new byte[3 * piece.length];
        for (int i = 0; i < whole.length; i++) {
            whole[i] = (byte) (i * 31 + i / 7);
        }
        assertThat(large.tryWriteInMemory(whole, 0, piece.length)).isTrue();
        assertThat(large.tryWriteInMemory(whole, piece.length, piece.length)).isTrue();
        // the third piece would pass MEMORY_BYTES: refused without blocking, then written (to a new spool file)
        assertThat(large.tryWriteInMemory(whole, 2 * piece.length, piece.length)).isFalse();
        assertThat(large.length()).isEqualTo(2L * piece.length);
        large.write(whole, 2 * piece.length, piece.length);
        assertThat(dir.resolve("live")).isNotEmptyDirectory();
        assertThat(large.tryWriteInMemory(whole, 0, 1)).isFalse(); // once on disk, every write goes there
        // read across the memory part's end: from memory, then from the spool file
        ByteBuffer all = ByteBuffer.allocate(whole.length);
        while (all.hasRemaining()) {
            int n = large.read(all.position(), all);
            assertThat(n).isPositive();
        }
        assertThat(all.array()).isEqualTo(whole);
        large.complete();
        assertThat(store.get("tts/i.wav")).hasValueSatisfying(b -> assertThat(b).isEqualTo(whole));
        large.release();
        assertNoSpoolFile("live");
    }

    private void assertNoSpoolFile(String spool) {
        Path d = dir.resolve(spool);
        if (Files.exists(d)) {
            assertThat(d).isEmptyDirectory();
        }
    }

    @Test
    void urlsAreThisServersAndSignedLikeTheLocalStores() {
        String url = live.signedUrl("tts/d.wav", Duration.ofMinutes(5));
        assertThat(url).startsWith("/api/objects/tts/d.wav?expires=");
        String expires = url.substring(url.indexOf("expires=") + 8, url.indexOf("&sig="));
        String sig = url.substring(url.indexOf("&sig=") + 5, url.indexOf("&live=1"));
        assertThat(url).endsWith("&live=1");
        assertThat(store.signer().verify("tts/d.wav", expires, sig, Instant.parse("2026-12-07T00:00:00Z")
                .getEpochSecond())).isEqualTo(UrlSigner.Verdict.VALID);
    }

    @Test
    void aSecondWriterOfTheSameKeyIsRefusedAndTheSweepClearsLeftovers() throws Exception {
        live.create("tts/e.wav");
        assertThatThrownBy(() -> live.create("tts/e.wav")).isInstanceOf(IllegalArgumentException.class);
        Files.createDirectories(dir.resolve("live")); // a live object makes it with its first write only
        Files.writeString(dir.resolve("live").resolve("live-left-over"), "x");
        new LiveObjects(store, store.signer(), "/api/objects/", Clock.systemUTC(), dir.resolve("live"), 1024)
                .sweepSpool();
        assertThat(dir.resolve("live")).isEmptyDirectory();
    }
}
