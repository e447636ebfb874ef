package dev.lectern.core.health;

/**
 * One component's health for {@code /api/health}: a store, a provider, the avatar manager. {@link #check()} may block
 * (it is called on the blocking executor, with a time limit) and must not throw for an unhealthy component: it says
 * so in the returned status.
 */
public interface HealthCheck {
    String name();

    HealthStatus check();

    record HealthStatus(boolean up, String detail) {
        public static HealthStatus up(String detail) {
            return new HealthStatus(true, detail);
        }

        public static HealthStatus down(String detail) {
            return new HealthStatus(false, detail);
        }
    }
}
