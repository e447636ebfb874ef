package dev.lectern.server;

import dev.lectern.testing.TestConfigs;
import java.util.Map;

/** Starts servers for tests in other packages (the conformance wiring is package-private). */
public final class TestServers {
    private TestServers() {}

    /** The conformance fixture (official-suite timings: ping 300/200 ms, connect timeout 1 s) on free ports. */
    public static LecternServer conformance() {
        return LecternServer.start(TestConfigs.defaults(), Map.of(), true);
    }
}
