/**
 * The measured fast path of a chat answer: a hand-written streaming HTTP/1.1 client on Netty
 * ({@link dev.lectern.ai.llm.internal.StreamingHttpClient}) whose connection to the model lives on the event loop of
 * the browser's connection, and the read gate that turns the SSE writer's demand into TCP backpressure
 * ({@link dev.lectern.ai.llm.internal.UpstreamReadGate}).
 *
 * <p>Served benchmark: {@code bin/bench ChatGatewayBench 1000 100 100} (1,000 streams, 100 chunks each, 100 ms apart).
 * Target: a model chunk is written to the client socket within 1 ms at p99 ({@code lectern.chat.gateway.latency}),
 * which a general HTTP client with threads of its own missed (p99 about 15 ms: every chunk changed threads). Before
 * replacing this package with async-http-client, rerun that benchmark. The OpenAI-compatible provider built on it
 * ({@link dev.lectern.ai.llm.internal.OpenAiCompatibleProvider}) lives here too; the rest of the code sees it as a
 * {@link dev.lectern.ai.llm.ModelProvider}.
 */
package dev.lectern.ai.llm.internal;
