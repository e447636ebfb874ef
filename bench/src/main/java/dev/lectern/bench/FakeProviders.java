package dev.lectern.bench;

/** What the benchmarks' in-process fakes of paid services (a model, a TTS) share. */
final class FakeProviders {
    private FakeProviders() {}

    /**
     * The JDK's {@code HttpServer} answers without Nagle's algorithm ({@code TCP_NODELAY}), as providers' servers do
     * (nginx, Envoy, Node.js and asyncio set it). Without it a fake's chunk written right after its response head
     * waits for the head's ACK, which the receiver delays by up to 40 ms: VoiceLatency's "TTS first byte → audio
     * event" hop had a p99 of 49 ms from this alone (6 ms with it). Call before the first {@code HttpServer} is made:
     * the JDK reads the property once.
     */
    static void answerWithoutNagle() {
        System.setProperty("sun.net.httpserver.nodelay", "true");
    }
}
