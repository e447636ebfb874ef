/**
 * The byte-level fast path of the HTTP edge: {@link dev.lectern.http.internal.ServerHttpCodec}, Netty's request
 * decoder and response encoder sharing what {@code HttpServerCodec} shares between its halves, which also writes a
 * response the avatar proxy framed itself ({@code RawHttpResponse}) as it is instead of parsing it into a header
 * object and encoding it again. Netty's public API only.
 *
 * <p>Served benchmark: {@code bin/bench AvatarProxyBench --seconds 5 --rounds 5 --warmup-seconds 15}. Target: the
 * proxied avatar API at 0.9x nginx's throughput or better and under 1 ms p99 added to the direct path at 2,000
 * requests/s. Going back to Netty's {@code HttpServerCodec} costs the raw pass-through; rerun that benchmark first.
 */
package dev.lectern.http.internal;
