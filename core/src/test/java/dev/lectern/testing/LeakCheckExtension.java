package dev.lectern.testing;

import io.netty.util.LeakPresenceDetector;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * Fails a test class when Netty buffers it allocated are still alive at its end. Auto-registered for every test
 * (META-INF/services + junit-platform.properties); Surefire selects Netty's {@link LeakPresenceDetector} with
 * {@code -Dio.netty.customResourceLeakDetector}. Servers and event loops must be shut down (and awaited) in
 * {@code @AfterEach} or {@code @AfterAll} for the check to see a quiet heap.
 *
 * <p>{@link LeakPresenceDetector#check()} resets its counter when it reports, so it is called exactly once: a retry
 * would pass on the second call and hide the leak.
 */
public final class LeakCheckExtension implements AfterAllCallback {
    @Override
    public void afterAll(ExtensionContext context) {
        if (!LeakPresenceDetector.class.getName().equals(System.getProperty("io.netty.customResourceLeakDetector"))) {
            return; // run outside Surefire's configuration (e.g. from an IDE): nothing to check
        }
        try {
            LeakPresenceDetector.check();
        } catch (IllegalStateException e) {
            throw new AssertionError("Netty buffers leaked by " + context.getDisplayName() + ": " + e.getMessage()
                    + " (rerun with -Dio.netty.util.LeakPresenceDetector.trackCreationStack=true to see where)", e);
        }
    }
}
