package dev.lectern.http.multipart;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.Headers;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The text fields of a small multipart form, as the Virtual Tutor front end posts its chat message. */
class MultipartFieldDecoderTest {
    private static ApiRequest request(String contentType, String body) {
        return new ApiRequest("POST", "/api/chat/stream", Map.of(), Map.of(),
                Headers.of(List.of(Map.entry("content-type", contentType))), body.getBytes(StandardCharsets.UTF_8),
                "127.0.0.1", "rid", null);
    }

    @Test
    void readsTheFieldsInOrderWithUtf8Values() {
        ApiRequest r = request("multipart/form-data; boundary=b0", "--b0\r\nContent-Disposition: form-data;"
                + " name=\"message\"\r\n\r\nExplain quantum computing — briefly\r\n--b0\r\nContent-Disposition:"
                + " form-data; name=\"session_id\"\r\n\r\n123\r\n--b0--\r\n");
        assertThat(MultipartFieldDecoder.isMultipart(r)).isTrue();
        assertThat(MultipartFieldDecoder.decode(r)).containsExactly(
                Map.entry("message", List.of("Explain quantum computing — briefly")),
                Map.entry("session_id", List.of("123")));
    }

    @Test
    void aFilePartOrAMalformedBodyIsA400() {
        ApiRequest file = request("multipart/form-data; boundary=b0", "--b0\r\nContent-Disposition: form-data;"
                + " name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--b0--\r\n");
        assertThatThrownBy(() -> MultipartFieldDecoder.decode(file)).isInstanceOf(ServiceException.class)
                .hasMessageContaining("text fields only");
        ApiRequest truncated = request("multipart/form-data; boundary=b0", "--b0\r\nContent-Disposition: form-data;"
                + " name=\"message\"\r\n\r\nhalf");
        assertThatThrownBy(() -> MultipartFieldDecoder.decode(truncated)).isInstanceOf(ServiceException.class)
                .satisfies(e -> assertThat(((ServiceException) e).status()).isEqualTo(400));
        ApiRequest noBoundary = request("multipart/form-data", "--b0--\r\n");
        assertThatThrownBy(() -> MultipartFieldDecoder.decode(noBoundary)).isInstanceOf(ServiceException.class)
                .satisfies(e -> assertThat(((ServiceException) e).status()).isEqualTo(400));
    }
}
