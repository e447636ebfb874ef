package dev.lectern.http.netty;

import dev.lectern.core.config.AvatarsConfig;
import dev.lectern.core.error.ServiceException;
import dev.lectern.http.ApiRequest;
import dev.lectern.http.Tunnel;
import dev.lectern.media.proxy.internal.AvatarProxy;
import dev.lectern.media.AvatarService;
import dev.lectern.media.ProxyTarget;
import io.netty.channel.ChannelHandler;
import java.util.Map;

/**
 * {@code /api/webrtc/{path}}: the caller's target is looked up for every request (an instance that stopped or moved is
 * noticed at once), but a keep-alive connection keeps one proxy handler for all its proxied requests. Only the paths
 * of {@code avatars.proxyPaths} (LiveTalking's API) are forwarded, others are 404; each forwarded request renews the
 * caller's avatar lease.
 */
public final class AvatarProxyTunnel implements Tunnel {
    private final AvatarService avatars;
    private final AvatarsConfig config;
    private final AvatarProxy proxy;

    public AvatarProxyTunnel(AvatarService avatars, AvatarsConfig config, AvatarProxy proxy) {
        this.avatars = avatars;
        this.config = config;
        this.proxy = proxy;
    }

    @Override
    public ChannelHandler newHandler(ApiRequest request) {
        return handler(request, null);
    }

    @Override
    public ChannelHandler handler(ApiRequest r, ChannelHandler installed) {
        String path = r.pathParam("path");
        if (!AvatarProxy.isValidPath(path) || !config.proxyPaths().contains(path)) {
            throw ServiceException.notFound("no such avatar endpoint");
        }
        String user = r.requirePrincipal().userId();
        ProxyTarget target = avatars.target(user);
        if (target instanceof ProxyTarget.Ready ready) {
            avatars.touch(user);
            if (ready.port() < config.portRangeStart() || ready.port() > config.portRangeEnd()) {
                throw new ServiceException(502, "bad_gateway", "the avatar instance is not usable");
            }
            long timeout = path.equals("offer") ? config.offerTimeoutMillis() : config.requestTimeoutMillis();
            return proxy.handler(ready.port(), path, timeout, installed);
        }
        if (target instanceof ProxyTarget.Starting) {
            throw new ServiceException(503, "service_unavailable", "the avatar is still starting; try again shortly",
                    Map.of("Retry-After", "1"));
        }
        if (target instanceof ProxyTarget.Crashed) {
            throw new ServiceException(502, "bad_gateway",
                    "the avatar instance stopped unexpectedly; POST /api/avatar/start to restart it");
        }
        throw ServiceException.conflict("no avatar started; POST /api/avatar/start first");
    }

    @Override
    public boolean keepInstalled(ChannelHandler handler) {
        return proxy.keepInstalled(handler);
    }
}
