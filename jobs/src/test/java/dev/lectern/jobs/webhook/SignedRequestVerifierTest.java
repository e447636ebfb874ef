package dev.lectern.jobs.webhook;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/**
 * Both inbound schemes against published vectors (Standard Webhooks' reference-library scenario, GitHub's documented
 * example of the seed's sha256= scheme) and against tampered, expired, future, replayed and malformed requests.
 */
class SignedRequestVerifierTest {
    // standard-webhooks libraries/java TestScenario, with the timestamp fixed
    private static final String SW_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw";
    private static final String SW_ID = "msg_p5jXN8AQM9LWM0D4loKWxJek";
    private static final long SW_TS = 1614265330L;
    private static final byte[] SW_BODY = "{\"test\": 2432232314}".getBytes(StandardCharsets.UTF_8);
    private static final String SW_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=";

    private static final String SEED_SECRET = "your-secret-here";

    private static Function<String, String> headers(String... pairs) {
        Map<String, String> m = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
        for (int i = 0; i < pairs.length; i += 2) {
            m.put(pairs[i], pairs[i + 1]);
        }
        return m::get;
    }

    private static SignedRequestVerifier at(long epochSeconds, String... secrets) {
        return new SignedRequestVerifier(List.of(secrets), 300, () -> epochSeconds * 1000);
    }

    @Test
    void standardWebhooksPublishedVectorSignsAndVerifies() {
        assertThat(StandardWebhooks.sign(StandardWebhooks.key(SW_SECRET), SW_ID, SW_TS, SW_BODY))
                .isEqualTo(SW_SIGNATURE);
        // the library accepts the secret with or without its whsec_ prefix
        assertThat(StandardWebhooks.sign(StandardWebhooks.key(SW_SECRET.substring(6)), SW_ID, SW_TS, SW_BODY))
                .isEqualTo(SW_SIGNATURE);
        Verification v = at(SW_TS, SW_SECRET).verify(headers("webhook-id", SW_ID, "webhook-timestamp", "" + SW_TS,
                "webhook-signature", SW_SIGNATURE), SW_BODY);
        assertThat(v.valid()).isTrue();
        assertThat(v.scheme()).isEqualTo(Verification.STANDARD);
        assertThat(v.deliveryId()).isEqualTo("whid:" + SW_ID);
    }

    @Test
    void standardWebhooksAcceptsAnyOfSeveralSignatures() {
        String header = "v1,Ceo5qEr07ixe2NLpvHk3FH9bwy/WavXrAFQ/9tdO6mc= v2,abc " + SW_SIGNATURE;
        assertThat(at(SW_TS, SW_SECRET).verify(headers("webhook-id", SW_ID, "webhook-timestamp", "" + SW_TS,
                "webhook-signature", header), SW_BODY).valid()).isTrue();
    }

    @Test
    void standardWebhooksRefusesTamperedExpiredFutureAndMalformed() {
        SignedRequestVerifier verifier = at(SW_TS, SW_SECRET);
        Function<String, String> good = headers("webhook-id", SW_ID, "webhook-timestamp", "" + SW_TS,
                "webhook-signature", SW_SIGNATURE);
        byte[] tampered = "{\"test\": 2432232315}".getBytes(StandardCharsets.UTF_8);
        assertThat(verifier.verify(good, tampered).failed()).isEqualTo(SignatureCheck.SIGNATURE_MISMATCH);
        // a different id or timestamp breaks the signature too (they are signed)
        assertThat(verifier.verify(headers("webhook-id", "msg_other", "webhook-timestamp", "" + SW_TS,
                "webhook-signature", SW_SIGNATURE), SW_BODY).failed()).isEqualTo(SignatureCheck.SIGNATURE_MISMATCH);

        byte[] key = StandardWebhooks.key(SW_SECRET);
        long old = SW_TS - 301;
        assertThat(verifier.verify(headers("webhook-id", SW_ID, "webhook-timestamp", "" + old, "webhook-signature",
                StandardWebhooks.sign(key, SW_ID, old, SW_BODY)), SW_BODY).failed())
                .isEqualTo(SignatureCheck.TIMESTAMP_OUT_OF_TOLERANCE);
        long future = SW_TS + 301;
        assertThat(verifier.verify(headers("webhook-id", SW_ID, "webhook-timestamp", "" + future, "webhook-signature",
                StandardWebhooks.sign(key, SW_ID, future, SW_BODY)), SW_BODY).failed())
                .isEqualTo(SignatureCheck.TIMESTAMP_OUT_OF_TOLERANCE);
        long edge = SW_TS - 300;
        assertThat(verifier.verify(headers("webhook-id", SW_ID, "webhook-timestamp", "" + edge, "webhook-signature",
                StandardWebhooks.sign(key, SW_ID, edge, SW_BODY)), SW_BODY).valid()).isTrue();

        assertThat(verifier.verify(headers("webhook-timestamp", "" + SW_TS, "webhook-signature", SW_SIGNATURE),
                SW_BODY).failed()).isEqualTo(SignatureCheck.MISSING_ID);
        assertThat(verifier.verify(headers("webhook-id", SW_ID, "webhook-timestamp", "yesterday",
                "webhook-signature", SW_SIGNATURE), SW_BODY).failed()).isEqualTo(SignatureCheck.MISSING_TIMESTAMP);
        assertThat(verifier.verify(headers("webhook-id", SW_ID, "webhook-timestamp", "" + SW_TS,
                "webhook-signature", "v2,abc"), SW_BODY).failed()).isEqualTo(SignatureCheck.MALFORMED_SIGNATURE);
        assertThat(verifier.verify(headers("webhook-id", SW_ID, "webhook-timestamp", "" + Long.MIN_VALUE,
                "webhook-signature", SW_SIGNATURE), SW_BODY).failed()).isIn(SignatureCheck.SIGNATURE_MISMATCH,
                SignatureCheck.TIMESTAMP_OUT_OF_TOLERANCE);
    }

    @Test
    void githubPublishedVectorForTheSeedsScheme() {
        assertThat(SeedSignature.sign("It's a Secret to Everybody".getBytes(StandardCharsets.UTF_8),
                "Hello, World!".getBytes(StandardCharsets.UTF_8)))
                .isEqualTo("sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17");
    }

    @Test
    void seedSchemeChecksTheBodyAndItsTimestamp() {
        long now = 1_900_000_000L;
        SignedRequestVerifier verifier = at(now, SEED_SECRET);
        byte[] body = ("{\"projectId\":\"p1\",\"sessionId\":\"s1\",\"sceneCount\":3,\"prompt\":\"calculus\","
                + "\"timestamp\":" + now + "}").getBytes(StandardCharsets.UTF_8);
        String sig = SeedSignature.sign(SEED_SECRET.getBytes(StandardCharsets.UTF_8), body);
        Verification v = verifier.verify(headers("X-Webhook-Signature", sig), body);
        assertThat(v.valid()).isTrue();
        assertThat(v.scheme()).isEqualTo(Verification.SEED);
        assertThat(v.deliveryId()).startsWith("sha256:").hasSize(7 + 64);
        // a replay is the same delivery: the caller dedupes on it and answers with the first job's id
        assertThat(verifier.verify(headers("X-Webhook-Signature", sig), body).deliveryId())
                .isEqualTo(v.deliveryId());
        // upper-case hex is the same signature
        assertThat(verifier.verify(headers("X-Webhook-Signature", "sha256=" + sig.substring(7).toUpperCase()), body)
                .valid()).isTrue();

        byte[] tampered = new String(body, StandardCharsets.UTF_8).replace("\"sceneCount\":3", "\"sceneCount\":30")
                .getBytes(StandardCharsets.UTF_8);
        assertThat(verifier.verify(headers("X-Webhook-Signature", sig), tampered).failed())
                .isEqualTo(SignatureCheck.SIGNATURE_MISMATCH);
        assertThat(verifier.verify(headers("X-Webhook-Signature", "sha1=abc"), body).failed())
                .isEqualTo(SignatureCheck.MALFORMED_SIGNATURE);
        assertThat(at(now + 301, SEED_SECRET).verify(headers("X-Webhook-Signature", sig), body).failed())
                .isEqualTo(SignatureCheck.TIMESTAMP_OUT_OF_TOLERANCE);
        assertThat(at(now - 301, SEED_SECRET).verify(headers("X-Webhook-Signature", sig), body).failed())
                .isEqualTo(SignatureCheck.TIMESTAMP_OUT_OF_TOLERANCE);

        byte[] noTimestamp = "{\"projectId\":\"p1\"}".getBytes(StandardCharsets.UTF_8);
        assertThat(verifier.verify(headers("X-Webhook-Signature", SeedSignature.sign(
                SEED_SECRET.getBytes(StandardCharsets.UTF_8), noTimestamp)), noTimestamp).failed())
                .isEqualTo(SignatureCheck.MISSING_TIMESTAMP);
        byte[] millis = ("{\"timestamp\":" + (now * 1000 + 123) + "}").getBytes(StandardCharsets.UTF_8);
        assertThat(verifier.verify(headers("X-Webhook-Signature", SeedSignature.sign(
                SEED_SECRET.getBytes(StandardCharsets.UTF_8), millis)), millis).valid()).isTrue();
    }

    @Test
    void twoSecretsDuringARotation() {
        long now = 1_900_000_000L;
        byte[] body = ("{\"timestamp\":" + now + "}").getBytes(StandardCharsets.UTF_8);
        String byOld = SeedSignature.sign("old-secret".getBytes(StandardCharsets.UTF_8), body);
        assertThat(at(now, "new-secret", "old-secret").verify(headers("X-Webhook-Signature", byOld), body).valid())
                .isTrue();
        assertThat(at(now, "new-secret").verify(headers("X-Webhook-Signature", byOld), body).failed())
                .isEqualTo(SignatureCheck.SIGNATURE_MISMATCH);
        String swByOld = StandardWebhooks.sign(StandardWebhooks.key(SW_SECRET), SW_ID, now, body);
        assertThat(at(now, "whsec_" + java.util.Base64.getEncoder().encodeToString(new byte[32]), SW_SECRET)
                .verify(headers("webhook-id", SW_ID, "webhook-timestamp", "" + now, "webhook-signature", swByOld),
                        body).valid()).isTrue();
    }

    @Test
    void unsignedOrUnconfigured() {
        assertThat(at(1, SEED_SECRET).verify(headers(), new byte[0]).failed())
                .isEqualTo(SignatureCheck.MISSING_SIGNATURE);
        assertThat(at(1).verify(headers("X-Webhook-Signature", "sha256=" + "0".repeat(64)), new byte[0]).failed())
                .isEqualTo(SignatureCheck.NO_SECRET);
        assertThat(at(1).configured()).isFalse();
    }
}
