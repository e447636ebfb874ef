package dev.lectern.http.api;

import dev.lectern.http.Access;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import dev.lectern.signaling.ice.IceServersService;
import java.util.LinkedHashMap;
import java.util.Map;

/** {@code GET /api/webrtc/config}: the caller's ICE servers, TURN credentials short-lived and bound to the user. */
public final class WebRtcConfigApi {
    private final IceServersService ice;

    public WebRtcConfigApi(IceServersService ice) {
        this.ice = ice;
    }

    public void register(Router.Builder routes) {
        routes.get("/api/webrtc/config").access(Access.USER).tag("webrtc")
                .summary("ICE servers (STUN, TURN with short-lived coturn credentials) for RTCPeerConnection")
                .handle(r -> {
                    Map<String, Object> body = new LinkedHashMap<>();
                    body.put("iceServers", ice.forUser(r.requirePrincipal().userId()));
                    body.put("ttl", ice.ttlSeconds());
                    return ApiResponse.json(body).async();
                });
    }
}
