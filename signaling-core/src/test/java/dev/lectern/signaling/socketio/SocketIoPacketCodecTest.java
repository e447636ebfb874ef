package dev.lectern.signaling.socketio;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.util.RawValue;
import dev.lectern.core.json.Json;
import dev.lectern.signaling.socketio.SocketIoPacket.Type;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class SocketIoPacketCodecTest {
    @Test
    void decodesConnectWithNamespaceAndAuth() {
        SocketIoPacketCodec.Decoded d = SocketIoPacketCodec.decode("0/custom,{\"token\":\"abc\"}");
        assertThat(d.packet().type()).isEqualTo(Type.CONNECT);
        assertThat(d.packet().nsp()).isEqualTo("/custom");
        assertThat(d.packet().data().get("token").asText()).isEqualTo("abc");
        assertThat(SocketIoPacketCodec.decode("0/random").packet().nsp()).isEqualTo("/random");
        assertThat(SocketIoPacketCodec.decode("0").packet().nsp()).isEqualTo("/");
    }

    @Test
    void decodesEventsWithAckIdsAndBinaryCounts() {
        SocketIoPacketCodec.Decoded d = SocketIoPacketCodec.decode("2456[\"message-with-ack\",1]");
        assertThat(d.packet().id()).isEqualTo(456);
        assertThat(d.packet().data().get(0).asText()).isEqualTo("message-with-ack");
        SocketIoPacketCodec.Decoded b = SocketIoPacketCodec.decode("52-/admin,789[\"x\",{\"_placeholder\":true,\"num\":0}]");
        assertThat(b.attachmentCount()).isEqualTo(2);
        assertThat(b.packet().type()).isEqualTo(Type.BINARY_EVENT);
        assertThat(b.packet().nsp()).isEqualTo("/admin");
        assertThat(b.packet().id()).isEqualTo(789);
    }

    @ParameterizedTest
    @ValueSource(strings = {"abc", "7", "2{}", "2abc[\"message-with-ack\"]", "2[]", "2[{}]", "1{}",
            "0[1]", "5[\"x\"]", "5x-[\"x\"]", "3[1]x", "4", "01{}", "2[\"a\"", "21234567890123456[\"a\"]", ""})
    void refusesMalformedPackets(String packet) {
        assertThatThrownBy(() -> SocketIoPacketCodec.decode(packet)).isInstanceOf(SocketIoException.class);
    }

    @Test
    void encodesLikeTheReferenceServer() {
        var data = Json.MAPPER.createObjectNode().put("message", "Invalid namespace");
        assertThat(SocketIoPacketCodec.encode(new SocketIoPacket(Type.CONNECT_ERROR, "/random", -1, data)))
                .isEqualTo("4/random,{\"message\":\"Invalid namespace\"}");
        var args = Json.MAPPER.createArrayNode().add(1).add("2");
        assertThat(SocketIoPacketCodec.encode(new SocketIoPacket(Type.ACK, "/", 456, args))).isEqualTo("3456[1,\"2\"]");
        SocketIoPacket binary = new SocketIoPacket(Type.ACK, "/", 789,
                Json.MAPPER.createArrayNode().add(Json.MAPPER.createObjectNode().put("_placeholder", true).put("num", 0)),
                List.of(new byte[] {1, 2, 3}));
        assertThat(SocketIoPacketCodec.encode(binary)).isEqualTo("61-789[{\"_placeholder\":true,\"num\":0}]");
        assertThat(SocketIoPacketCodec.encode(new SocketIoPacket(Type.DISCONNECT, "/custom", -1, null)))
                .isEqualTo("1/custom,");
    }

    @Test
    void anEmittedEventIsWrittenAsTheCodecWouldEncodeIt() {
        JsonNode offer = Json.MAPPER.createObjectNode().put("room_id", "r1")
                .put("sdp", "v=0\r\no=- \"q\" \\ é \u2028").put("n", 3);
        JsonNode raw = Json.MAPPER.getNodeFactory().rawValueNode(
                new RawValue(Json.write(offer)));
        for (String nsp : List.of("/", "/admin")) {
            for (String event : List.of("offer", "we\"ird\n")) {
                ArrayNode data = Json.MAPPER.createArrayNode().add(event)
                        .add(offer).add(Json.MAPPER.nullNode()).add("2s");
                String expected = SocketIoPacketCodec.encode(new SocketIoPacket(Type.EVENT, nsp, -1, data));
                // a tree argument, a raw one (a remote room event as it came) and the recovery offset that follows
                assertThat(SocketIoSocket.eventHead(nsp, event, offer, null).append(",\"2s\"]").toString())
                        .isEqualTo(expected);
                assertThat(SocketIoSocket.eventHead(nsp, event, raw, null).append(",\"2s\"]").toString())
                        .isEqualTo(expected);
            }
        }
    }
}
