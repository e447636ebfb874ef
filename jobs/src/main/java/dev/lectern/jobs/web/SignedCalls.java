package dev.lectern.jobs.web;

import dev.lectern.core.auth.Principal;
import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import dev.lectern.jobs.webhook.SignatureCheck;
import dev.lectern.jobs.webhook.SignedRequestVerifier;
import dev.lectern.jobs.webhook.StandardWebhooks;
import dev.lectern.jobs.webhook.Verification;
import java.util.Map;

/**
 * Who is calling a route that services and users both may call: a signed service (either signature scheme), or a
 * user with a valid bearer token. A request that carries a signature is judged by it alone; a bad one is a 401 whose
 * code names the check that failed ({@code signature_mismatch}, {@code timestamp_out_of_tolerance}, …).
 */
public final class SignedCalls {
    private final SignedRequestVerifier verifier;

    public SignedCalls(SignedRequestVerifier verifier) {
        this.verifier = verifier;
    }

    /** A verified caller: the signed delivery (principal null) or the user. */
    public record Caller(Principal principal, String deliveryId) {
        public boolean signed() {
            return principal == null;
        }
    }

    public Caller require(ApiRequest request) {
        boolean hasSignature = request.headers().get(StandardWebhooks.SIGNATURE) != null
                || request.headers().get("x-webhook-signature") != null;
        if (!hasSignature && request.principal() != null) {
            return new Caller(request.principal(), null);
        }
        Verification v = verifier.verify(request.headers()::get, request.body());
        if (!v.valid()) {
            SignatureCheck check = v.failed();
            throw new ServiceException(401, check.code(), check.message()
                    + (hasSignature ? "" : " (or send a bearer token)"),
                    Map.of("WWW-Authenticate", "Bearer"));
        }
        return new Caller(null, v.deliveryId());
    }

    /** Whether the request carries a valid signature (for read routes that also serve signed callers). */
    public boolean signed(ApiRequest request) {
        return verifier.verify(request.headers()::get, request.body()).valid();
    }
}
