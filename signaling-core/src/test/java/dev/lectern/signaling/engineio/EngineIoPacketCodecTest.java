package dev.lectern.signaling.engineio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

class EngineIoPacketCodecTest {
    @Test
    void decodesEachPacketType() {
        assertThat(EngineIoPacketCodec.decode("4hello")).isEqualTo(EngineIoPacket.message("hello"));
        assertThat(EngineIoPacketCodec.decode("2probe").type()).isEqualTo(EngineIoPacket.Type.PING);
        assertThat(EngineIoPacketCodec.decode("2probe").text()).isEqualTo("probe");
        assertThat(EngineIoPacketCodec.decode("3").type()).isEqualTo(EngineIoPacket.Type.PONG);
        assertThat(EngineIoPacketCodec.decode("5").type()).isEqualTo(EngineIoPacket.Type.UPGRADE);
        assertThat(EngineIoPacketCodec.decode("6").type()).isEqualTo(EngineIoPacket.Type.NOOP);
        assertThat(EngineIoPacketCodec.decode("1").type()).isEqualTo(EngineIoPacket.Type.CLOSE);
    }

    @Test
    void refusesUnknownTypesAndEmptyPackets() {
        assertThatThrownBy(() -> EngineIoPacketCodec.decode("abc")).isInstanceOf(EngineIoException.class);
        assertThatThrownBy(() -> EngineIoPacketCodec.decode("7")).isInstanceOf(EngineIoException.class);
        assertThatThrownBy(() -> EngineIoPacketCodec.decode("")).isInstanceOf(EngineIoException.class);
    }

    @Test
    void pollingPayloadsRoundTripTextAndBase64Binary() {
        List<EngineIoPacket> packets = EngineIoPacketCodec.decodePayload("4hello\u001ebAQIDBA==\u001e2");
        assertThat(packets).hasSize(3);
        assertThat(packets.get(0).text()).isEqualTo("hello");
        assertThat(packets.get(1).binary()).containsExactly(1, 2, 3, 4);
        assertThat(packets.get(2).type()).isEqualTo(EngineIoPacket.Type.PING);
        assertThat(EngineIoPacketCodec.encodePayload(packets)).isEqualTo("4hello\u001ebAQIDBA==\u001e2");
    }

    @Test
    void refusesBadPayloadParts() {
        assertThatThrownBy(() -> EngineIoPacketCodec.decodePayload("4a\u001e\u001e4b")).isInstanceOf(EngineIoException.class);
        assertThatThrownBy(() -> EngineIoPacketCodec.decodePayload("b!!!")).isInstanceOf(EngineIoException.class);
        assertThatThrownBy(() -> EngineIoPacketCodec.decodePayload("abc")).isInstanceOf(EngineIoException.class);
    }

    @Test
    void binaryPacketsAreNotTextFrames() {
        assertThatThrownBy(() -> EngineIoPacketCodec.encode(EngineIoPacket.binary(new byte[] {1})))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(EngineIoPacketCodec.encode(EngineIoPacket.PROBE_PONG)).isEqualTo("3probe");
    }
}
