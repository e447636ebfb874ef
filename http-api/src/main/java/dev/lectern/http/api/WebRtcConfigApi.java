package dev.lectern.http.api;

import dev.lectern.http.Access;
import dev.lectern.http.ApiResponse;
import dev.lectern.http.Router;
import dev.lectern.signaling.ice.IceServer;
import dev.lectern.signaling.ice.IceServersService;
import java.util.List;

/** {@code GET /api/webrtc/config}: the caller's ICE servers, TURN credentials short-lived and bound to the user. */
public final class WebRtcConfigApi {
    private final IceServersService ice;

    public WebRtcConfigApi(IceServersService ice) {
        this.ice = ice;
    }

    public void register(Router.Builder routes) {
        routes.get("/api/webrtc/config").access(Access.USER).tag("webrtc")
                .summary("ICE servers (STUN, TURN with short-lived coturn credentials) for RTCPeerConnection")
                .returns(200, WebRtcConfig.class)
                .handle(r -> ApiResponse.json(new WebRtcConfig(ice.forUser(r.requirePrincipal().userId()),
                        ice.ttlSeconds())).async());
    }

    /** The RTCConfiguration's {@code iceServers}, and how many seconds the TURN credentials live. */
    public record WebRtcConfig(List<IceServer> iceServers, long ttl) {}
}
