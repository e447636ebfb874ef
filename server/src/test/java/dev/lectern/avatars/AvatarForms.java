package dev.lectern.avatars;

import static org.assertj.core.api.Assertions.assertThat;

import dev.lectern.server.HttpJson;
import dev.lectern.server.LecternServer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/** The avatar tests' multipart forms (as the Virtual Tutor front end sends them) and their accounts. */
final class AvatarForms {
    static final String PASSWORD = "Correct-Horse-42";
    /** A 1×1 PNG. */
    static final byte[] PNG = java.util.Base64.getDecoder().decode(
            "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==");
    static final byte[] WAV = "RIFF\0\0\0\0WAVEfmt ".getBytes(StandardCharsets.ISO_8859_1);

    private AvatarForms() {}

    /** One part of a multipart body: a field when {@code filename} is null, else a file. */
    record Part(String field, String filename, String type, byte[] bytes) {
        static Part text(String field, String value) {
            return new Part(field, null, null, value.getBytes(StandardCharsets.UTF_8));
        }

        static Part face(byte[] bytes) {
            return new Part("prompt_face", "face.bin", "application/octet-stream", bytes);
        }

        static Part voice(byte[] bytes) {
            return new Part("prompt_voice", "voice.bin", "application/octet-stream", bytes);
        }
    }

    /** POSTs {@code parts} as multipart/form-data to {@code path}, with the token when there is one. */
    static <T> HttpResponse<T> post(HttpClient client, int port, String path, String token,
                                    HttpResponse.BodyHandler<T> handler, Part... parts) throws Exception {
        String boundary = "avatar-" + System.nanoTime();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (Part p : parts) {
            StringBuilder head = new StringBuilder("--").append(boundary)
                    .append("\r\nContent-Disposition: form-data; name=\"").append(p.field()).append('"');
            if (p.filename() != null) {
                head.append("; filename=\"").append(p.filename()).append("\"\r\nContent-Type: ").append(p.type());
            }
            body.writeBytes(head.append("\r\n\r\n").toString().getBytes(StandardCharsets.UTF_8));
            body.writeBytes(p.bytes());
            body.writeBytes("\r\n".getBytes(StandardCharsets.US_ASCII));
        }
        body.writeBytes(("--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "multipart/form-data; boundary=" + boundary)
                .POST(HttpRequest.BodyPublishers.ofByteArray(body.toByteArray()));
        if (token != null) {
            b.header("Authorization", "Bearer " + token);
        }
        return client.send(b.build(), handler);
    }

    /** Registers {@code email} (a student when {@code role} is null) and answers its token. */
    static String signUp(LecternServer server, HttpJson http, String email, String role) throws Exception {
        assertThat(http.post("/api/send_verification", Map.of("email", email, "purpose", "register"), null).status())
                .isEqualTo(200);
        Map<String, Object> body = new HashMap<>(Map.of("email", email, "password", PASSWORD,
                "code", server.ephemeralStore().get("code:register:" + email).orElseThrow()));
        if (role != null) {
            body.put("role", role);
        }
        HttpJson.Reply r = http.post("/api/register", body, null);
        assertThat(r.status()).as(r.raw().body()).isEqualTo(201);
        return r.text("token");
    }
}
