package dev.lectern.signaling.socketio;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class ReplayLogTest {
    private static final long SECOND = 1_000_000_000L;

    /** One socket's view: its latest position and next offset, as SocketIoSocket keeps them. */
    private static final class Socket {
        long latest = -1;
        long next;

        long send(ReplayLog log, String text, List<byte[]> attachments, long now) {
            latest = log.append(latest, next++, text, attachments, now);
            return latest;
        }
    }

    @Test
    void readsBackOneSocketsEventsInOrderAmongOthers() {
        ReplayLog log = new ReplayLog(1 << 20, 45_000);
        Socket a = new Socket();
        Socket b = new Socket();
        for (int i = 0; i < 100; i++) {
            a.send(log, "42[\"a\"," + i + "]", List.of(), 0);
            b.send(log, "42[\"b\",\"é" + i + "\"]", List.of(), 0);
        }
        List<ReplayLog.Entry> last3 = log.read(a.latest, 3);
        assertThat(last3).extracting(ReplayLog.Entry::offset).containsExactly(97L, 98L, 99L);
        assertThat(last3).extracting(ReplayLog.Entry::text)
                .containsExactly("42[\"a\",97]", "42[\"a\",98]", "42[\"a\",99]");
        assertThat(log.read(b.latest, 100)).hasSize(100).first()
                .satisfies(e -> assertThat(e.text()).isEqualTo("42[\"b\",\"é0\"]"));
    }

    @Test
    void keepsBinaryAttachments() {
        ReplayLog log = new ReplayLog(1 << 20, 45_000);
        Socket a = new Socket();
        a.send(log, "451-[\"file\",{\"_placeholder\":true,\"num\":0}]", List.of(new byte[] {1, 2, 3}, new byte[0]), 0);
        ReplayLog.Entry e = log.read(a.latest, 1).get(0);
        assertThat(e.attachments()).hasSize(2);
        assertThat(e.attachments().get(0)).containsExactly(1, 2, 3);
        assertThat(e.attachments().get(1)).isEmpty();
    }

    @Test
    void growsRatherThanDropEventsYoungerThanTheWindow() {
        ReplayLog log = new ReplayLog(1 << 20, 45_000);
        Socket a = new Socket();
        String text = "x".repeat(1000);
        for (int i = 0; i < 500; i++) { // ~500 KB, all within the window
            a.send(log, text + i, List.of(), i * 1_000_000L);
        }
        assertThat(log.capacity()).isGreaterThan(ReplayLog.INITIAL_BYTES);
        List<ReplayLog.Entry> all = log.read(a.latest, 500);
        assertThat(all).hasSize(500);
        for (int i = 0; i < 500; i++) {
            assertThat(all.get(i).text()).isEqualTo(text + i);
        }
    }

    @Test
    void overwritesEventsOlderThanTheWindowInsteadOfGrowing() {
        ReplayLog log = new ReplayLog(1 << 20, 1_000);
        Socket a = new Socket();
        String text = "y".repeat(1000);
        for (int i = 0; i < 500; i++) { // one event a second: only the last one is inside the window
            a.send(log, text, List.of(), i * SECOND);
        }
        assertThat(log.capacity()).isEqualTo(ReplayLog.INITIAL_BYTES);
        assertThat(log.read(a.latest, 10)).hasSize(10);
        assertThat(log.read(a.latest, 100)).isNull(); // the older ones were overwritten
    }

    @Test
    void atItsLargestOverwritesTheOldestAndSaysSo() {
        ReplayLog log = new ReplayLog(128 * 1024, 45_000);
        Socket a = new Socket();
        Socket quiet = new Socket();
        quiet.send(log, "42[\"early\"]", List.of(), 0);
        String text = "z".repeat(1000);
        for (int i = 0; i < 1000; i++) {
            a.send(log, text, List.of(), 0);
        }
        assertThat(log.capacity()).isEqualTo(128 * 1024);
        assertThat(log.read(quiet.latest, 1)).isNull();
        assertThat(log.read(a.latest, 100)).hasSize(100);
        assertThat(log.read(a.latest, 1000)).isNull();
    }

    @Test
    void refusesAnEventLargerThanItCanEverHold() {
        ReplayLog log = new ReplayLog(64 * 1024, 45_000);
        Socket a = new Socket();
        a.send(log, "small", List.of(), 0);
        assertThat(a.send(log, "h".repeat(70_000), List.of(), 0)).isEqualTo(-1);
    }

    @Test
    void survivesWrappingAtEveryByteBoundary() {
        ReplayLog log = new ReplayLog(64 * 1024, 0);
        Socket a = new Socket();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 5000; i++) { // sizes 33..99 bytes: entries straddle the ring's end at every offset
            String text = "w".repeat(1 + i % 67) + i;
            sent.add(text);
            a.send(log, text, List.of(("" + i).getBytes(StandardCharsets.UTF_8)), i);
            if (i % 97 == 0 && i >= 20) {
                List<ReplayLog.Entry> back = log.read(a.latest, 20);
                assertThat(back).extracting(ReplayLog.Entry::text).containsExactlyElementsOf(sent.subList(i - 19, i + 1));
                assertThat(new String(back.get(19).attachments().get(0), StandardCharsets.UTF_8)).isEqualTo("" + i);
            }
        }
    }
}
