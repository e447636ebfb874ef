package dev.lectern.accounts.oidc;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.lectern.core.auth.InvalidTokenException;
import dev.lectern.core.config.OidcConfig;
import java.net.MalformedURLException;
import java.net.URI;
import java.text.ParseException;
import java.util.Date;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies tokens of the configured OIDC issuer (Cognito or another) with nimbus-jose-jwt: the signing keys come from
 * the issuer's JWKS, cached ({@code jwksCacheSeconds}); a key id not in the cache (a rotation) fetches the set again,
 * at most once per {@code unknownKeyRefetchSeconds}; while the JWKS endpoint is down the cached keys keep verifying
 * for {@code outageToleranceSeconds}. Only RS256 is accepted. The issuer, the expiry (with {@code clockSkewSeconds}
 * of leeway), {@code token_use}, and the client id ({@code aud} of an ID token, {@code client_id} of an access token)
 * are checked. Blocking (a JWKS fetch): call from the blocking executor.
 */
public final class OidcTokenValidator {
    private static final Logger logger = LoggerFactory.getLogger(OidcTokenValidator.class);

    private final OidcConfig config;
    private final DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();

    public OidcTokenValidator(OidcConfig config) {
        this.config = config;
        JWKSource<SecurityContext> keys;
        try {
            DefaultResourceRetriever retriever = new DefaultResourceRetriever(config.timeoutMillis(),
                    config.timeoutMillis(), 256 * 1024);
            JWKSourceBuilder<SecurityContext> b = JWKSourceBuilder.<SecurityContext>create(
                            URI.create(config.effectiveJwksUrl()).toURL(), retriever)
                    .cache(config.jwksCacheSeconds() * 1000, config.timeoutMillis())
                    .rateLimited(config.unknownKeyRefetchSeconds() * 1000)
                    .refreshAheadCache(false)
                    .retrying(false);
            keys = (config.outageToleranceSeconds() > 0 ? b.outageTolerant(config.outageToleranceSeconds() * 1000)
                    : b.outageTolerant(false)).build();
        } catch (MalformedURLException e) {
            throw new IllegalArgumentException("accounts.oidc.jwksUrl: " + e.getMessage(), e);
        }
        processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.RS256, keys));
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                new JWTClaimsSet.Builder().issuer(config.issuer()).build(), Set.of("sub", "exp", "iss"));
        claims.setMaxClockSkew((int) config.clockSkewSeconds());
        processor.setJWTClaimsSetVerifier(claims);
    }

    /** The issuer's verified identity; {@link InvalidTokenException} for anything else. */
    public OidcIdentity verify(String token) {
        JWTClaimsSet c;
        try {
            c = processor.process(token, null);
        } catch (ParseException e) {
            throw new InvalidTokenException("malformed token");
        } catch (BadJOSEException e) {
            throw new InvalidTokenException(reason(e));
        } catch (JOSEException e) {
            logger.warn("OIDC token not verified: {}", e.toString());
            throw new InvalidTokenException("the token cannot be verified now");
        }
        try {
            String use = c.getStringClaim("token_use");
            String tokenUse = use == null ? "id" : use;
            if (!config.tokenUses().contains(tokenUse)) {
                throw new InvalidTokenException("token_use " + tokenUse + " is not accepted");
            }
            boolean audience = tokenUse.equals("id") ? c.getAudience().contains(config.clientId())
                    : config.clientId().equals(c.getStringClaim("client_id"))
                            || c.getAudience().contains(config.clientId());
            if (!audience) {
                throw new InvalidTokenException("the token was issued to another client");
            }
            Date exp = c.getExpirationTime();
            if (exp == null) {
                throw new InvalidTokenException("the token has no expiry");
            }
            List<String> groups = c.getStringListClaim("cognito:groups");
            String email = c.getStringClaim("email");
            String name = c.getStringClaim("name");
            return new OidcIdentity(c.getIssuer(), c.getSubject(), email == null ? "" : email,
                    name == null ? "" : name, groups == null ? List.of() : groups, tokenUse,
                    c.getJWTID() == null ? "" : c.getJWTID());
        } catch (ParseException e) {
            throw new InvalidTokenException("a claim has the wrong type");
        }
    }

    /** A client-safe reason: expired, wrong issuer, unknown key, bad signature. */
    private static String reason(BadJOSEException e) {
        String m = e.getMessage() == null ? "" : e.getMessage();
        if (m.contains("Expired")) {
            return "the token has expired";
        }
        if (m.contains("iss")) {
            return "the token is from another issuer";
        }
        if (m.contains("Signed JWT rejected: Another algorithm expected") || m.contains("algorithm")) {
            return "the token is not signed with RS256";
        }
        if (m.contains("No matching key") || m.contains("key")) {
            return "the token's signing key is unknown";
        }
        return "the token's signature is invalid";
    }
}
