package dev.lectern.signaling.socketio.internal;

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
    void growsSegmentBySegmentRatherThanDropEventsYoungerThanTheWindow() {
        ReplayLog log = new ReplayLog(8 << 20, 45_000);
        Socket a = new Socket();
        String text = "x".repeat(1000);
        for (int i = 0; i < 2000; i++) { // ~2 MB, all within the window
            a.send(log, text + i, List.of(), i * 1_000_000L);
        }
        assertThat(log.bytesHeld()).isBetween(2_000_000L, 2_000_000L + 2 * ReplayLog.SEGMENT_BYTES);
        List<ReplayLog.Entry> all = log.read(a.latest, 2000);
        assertThat(all).hasSize(2000);
        for (int i = 0; i < 2000; i++) {
            assertThat(all.get(i).text()).isEqualTo(text + i);
        }
    }

    @Test
    void dropsEventsOlderThanTheWindow() {
        ReplayLog log = new ReplayLog(8 << 20, 1_000);
        Socket a = new Socket();
        String text = "y".repeat(100_000);
        for (int i = 0; i < 50; i++) { // one 100 KB event a second: only the last ones are inside the window
            a.send(log, text, List.of(), i * SECOND);
        }
        assertThat(log.bytesHeld()).isLessThanOrEqualTo(2L * ReplayLog.SEGMENT_BYTES);
        assertThat(log.read(a.latest, 1)).hasSize(1);
        assertThat(log.read(a.latest, 5)).isNull();
    }

    @Test
    void givesEverythingBackOnceItsEventsHaveAgedOut() {
        ReplayLog log = new ReplayLog(8 << 20, 45_000);
        Socket a = new Socket();
        for (int i = 0; i < 2000; i++) {
            a.send(log, "x".repeat(1000), List.of(), 0);
        }
        log.expireNow(30 * SECOND);
        assertThat(log.read(a.latest, 2000)).hasSize(2000);
        log.expireNow(46 * SECOND);
        assertThat(log.bytesHeld()).isZero();
        assertThat(log.read(a.latest, 1)).isNull();
        a.send(log, "after", List.of(), 47 * SECOND);
        assertThat(log.read(a.latest, 1)).extracting(ReplayLog.Entry::text).containsExactly("after");
        assertThat(log.read(a.latest, 2)).isNull();
    }

    @Test
    void segmentsDroppedBeyondTheTwoSparesAreFreedAtOnce() {
        long before = ReplayLog.directBytesInUse();
        ReplayLog log = new ReplayLog(8 << 20, 45_000);
        Socket a = new Socket();
        for (int i = 0; i < 4000; i++) { // about 4 MB: sixteen segments
            a.send(log, "x".repeat(1000), List.of(), 0);
        }
        assertThat(ReplayLog.directBytesInUse() - before).isGreaterThanOrEqualTo(log.bytesHeld()).isPositive();
        log.expireNow(46 * SECOND);
        assertThat(log.bytesHeld()).isZero();
        assertThat(ReplayLog.directBytesInUse() - before).isLessThanOrEqualTo(2L * ReplayLog.SEGMENT_BYTES);
    }

    @Test
    void atItsLargestDropsTheOldestAndSaysSo() {
        ReplayLog log = new ReplayLog(1 << 20, 45_000); // four segments
        Socket a = new Socket();
        Socket quiet = new Socket();
        quiet.send(log, "42[\"early\"]", List.of(), 0);
        String text = "z".repeat(1000);
        for (int i = 0; i < 3000; i++) {
            a.send(log, text, List.of(), 0);
        }
        assertThat(log.bytesHeld()).isEqualTo(1 << 20);
        assertThat(log.read(quiet.latest, 1)).isNull();
        assertThat(log.read(a.latest, 700)).hasSize(700);
        assertThat(log.read(a.latest, 3000)).isNull();
    }

    @Test
    void refusesAnEventLargerThanASegment() {
        ReplayLog log = new ReplayLog(64 << 20, 45_000);
        Socket a = new Socket();
        a.send(log, "small", List.of(), 0);
        assertThat(a.send(log, "h".repeat(ReplayLog.SEGMENT_BYTES), List.of(), 0)).isEqualTo(-1);
        assertThat(a.send(log, "small again", List.of(), 0)).isPositive();
    }

    @Test
    void entriesNeverSpanSegmentsWhateverTheirSizes() {
        ReplayLog log = new ReplayLog(64 * 1024, 45_000); // four 16 KiB segments, dropped and restarted again and again
        Socket a = new Socket();
        List<String> sent = new ArrayList<>();
        for (int i = 0; i < 5000; i++) { // entries of every size from 40 to 110 bytes
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
