package dev.lectern.accounts.oidc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * An OIDC issuer on loopback, as Cognito serves one: {@code GET /.well-known/jwks.json} publishes the public halves of
 * its current keys; it signs tokens with any of its keys, can rotate (publish a new key, drop the old one) and can go
 * down (the JWKS answers 503). Counts JWKS fetches. Public, in the accounts test-jar, for the server's tests too.
 */
public final class FakeOidcIssuer implements AutoCloseable {
    private final HttpServer server;
    private final List<RSAKey> published = new CopyOnWriteArrayList<>();
    private final AtomicInteger fetches = new AtomicInteger();
    private volatile boolean down;

    public FakeOidcIssuer() throws IOException, JOSEException {
        published.add(newKey("k1"));
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/.well-known/jwks.json", ex -> {
            fetches.incrementAndGet();
            byte[] body = down ? "unavailable".getBytes(StandardCharsets.UTF_8)
                    : new JWKSet(List.copyOf(published.stream().map(k -> (com.nimbusds.jose.jwk.JWK) k.toPublicJWK())
                            .toList())).toString().getBytes(StandardCharsets.UTF_8);
            ex.getResponseHeaders().set("Content-Type", "application/json");
            ex.sendResponseHeaders(down ? 503 : 200, body.length);
            try (OutputStream os = ex.getResponseBody()) {
                os.write(body);
            }
        });
        server.start();
    }

    public static RSAKey newKey(String kid) throws JOSEException {
        return new RSAKeyGenerator(2048).keyID(kid).generate();
    }

    public String issuer() {
        return "http://127.0.0.1:" + server.getAddress().getPort();
    }

    public RSAKey key(String kid) {
        return published.stream().filter(k -> k.getKeyID().equals(kid)).findFirst().orElseThrow();
    }

    /** Publishes a new key and drops the others (a completed rotation). */
    public RSAKey rotate(String kid) throws JOSEException {
        RSAKey k = newKey(kid);
        published.clear();
        published.add(k);
        return k;
    }

    public void down(boolean isDown) {
        this.down = isDown;
    }

    public int fetches() {
        return fetches.get();
    }

    public static String sign(RSAKey key, JWTClaimsSet claims) throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID()).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    @Override
    public void close() {
        server.stop(0);
    }
}
