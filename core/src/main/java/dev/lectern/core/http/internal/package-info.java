/**
 * Responses the server writes as bytes framed already: {@link dev.lectern.core.http.internal.RawHttpResponse} (status
 * and header lines as they will be sent, then the first body part) and
 * {@link dev.lectern.core.http.internal.RawHttpContent} (the rest of the body), which the server's response encoder
 * passes on without building or encoding a header object. The avatar proxy produces them.
 *
 * <p>The benchmark they serve: {@code bin/bench AvatarProxyBench --seconds 5 --rounds 5 --warmup-seconds 15}, target
 * <b>at least 0.9× nginx's closed-loop throughput</b> at 16 connections, and under 1 ms added to the direct path's p99
 * at 2,000 requests/s. Going back to Netty's {@code HttpResponse} objects should be weighed against those figures.
 */
package dev.lectern.core.http.internal;
