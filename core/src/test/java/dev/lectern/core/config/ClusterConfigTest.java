package dev.lectern.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.testing.TestConfigs;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClusterConfigTest {
    @Test
    void theDefaultIsOneNodeAndEnvironmentOverridesSwitchToRedis() {
        assertThat(TestConfigs.defaults().cluster().redis()).isFalse();
        ClusterConfig c = TestConfigs.defaults(Map.of("LECTERN_CLUSTER__MODE", "redis",
                "LECTERN_CLUSTER__NODE_ID", "node-2", "LECTERN_CLUSTER__HEARTBEAT_TTL_MILLIS", "20000")).cluster();
        assertThat(c.redis()).isTrue();
        assertThat(c.nodeId()).isEqualTo("node-2");
        assertThat(c.heartbeatTtlMillis()).isEqualTo(20000);
    }

    @Test
    void badValuesNameTheirKey() {
        assertThatThrownBy(() -> TestConfigs.defaults(Map.of("LECTERN_CLUSTER__MODE", "swarm")))
                .hasMessageContaining("cluster.mode");
        assertThatThrownBy(() -> TestConfigs.defaults(Map.of("LECTERN_CLUSTER__NODE_ID", "a:b")))
                .hasMessageContaining("cluster.nodeId");
        assertThatThrownBy(() -> TestConfigs.defaults(Map.of("LECTERN_CLUSTER__HEARTBEAT_TTL_MILLIS", "6000")))
                .hasMessageContaining("cluster.heartbeatTtlMillis");
    }
}
