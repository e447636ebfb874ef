/**
 * The avatar reverse proxy at the byte level: {@link dev.lectern.media.proxy.internal.ProxyFrontendHandler}
 * (browser → Lectern) and {@link dev.lectern.media.proxy.internal.ProxyBackendHandler} (avatar → Lectern) on one event
 * loop with backpressure between them, {@link dev.lectern.media.proxy.internal.AvatarResponseParser} framing the
 * avatar's response as bytes instead of header objects, and {@link dev.lectern.media.proxy.internal.BackendPool}
 * keeping idle keep-alive connections to the avatar ports. Built on Netty's public API only.
 *
 * <p>The benchmark it serves: {@code bin/bench AvatarProxyBench --seconds 5 --rounds 5 --warmup-seconds 15} (the proxy
 * against a direct connection and nginx to the same backend). Targets: <b>at least 0.9× nginx's closed-loop
 * throughput</b> at 16 connections, and under 1 ms added to the direct path's p99 at 2,000 requests/s. A general
 * HTTP client or Netty's HTTP codec with aggregation in its place should be weighed against those figures.
 */
package dev.lectern.media.proxy.internal;
