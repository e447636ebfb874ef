package dev.lectern.signaling.ice;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.config.ConfigException;
import dev.lectern.core.config.IceConfig;
import dev.lectern.core.config.Secrets;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class IceServersServiceTest {
    private static final Clock CLOCK = Clock.fixed(Instant.ofEpochSecond(1_735_600_000L), ZoneOffset.UTC);

    @Test
    void coturnRestApiTestVector() {
        // the vector computed in the reference notes: secret s3cr3t, username 1735689600:user-42
        TurnCredentials.Credential c = TurnCredentials.issue("s3cr3t".getBytes(StandardCharsets.UTF_8), "user-42",
                1_735_689_600L);
        assertThat(c.username()).isEqualTo("1735689600:user-42");
        assertThat(c.password()).isEqualTo("oxaYB4gM9x0VcpgNFDshdZu2K7s=");
    }

    @Test
    void secretModeIssuesPerUserExpiringCredentials() {
        IceConfig config = new IceConfig(List.of("stun:stun.example.org:3478"),
                new IceConfig.Turn(List.of("turn:turn.example.org:3478?transport=udp"), "secret", 3600, ""));
        IceServersService service = new IceServersService(config,
                new Secrets(Map.of("LECTERN_TURN_SECRET", "0123456789abcdef-secret")), CLOCK);
        List<IceServer> servers = service.forUser("u7");
        assertThat(servers).hasSize(2);
        assertThat(servers.get(0).urls()).containsExactly("stun:stun.example.org:3478");
        assertThat(servers.get(0).username()).isNull();
        IceServer turn = servers.get(1);
        assertThat(turn.username()).isEqualTo((1_735_600_000L + 3600) + ":u7");
        assertThat(turn.credential()).isEqualTo(TurnCredentials.password(
                "0123456789abcdef-secret".getBytes(StandardCharsets.UTF_8), turn.username()));
        assertThat(service.ttlSeconds()).isEqualTo(3600);
    }

    @Test
    void staticModeAndNoTurn() {
        IceConfig stat = new IceConfig(List.of(),
                new IceConfig.Turn(List.of("turns:turn.example.org:443"), "static", 3600, "tutor"));
        List<IceServer> s = new IceServersService(stat, new Secrets(Map.of("LECTERN_TURN_CREDENTIAL", "pw")), CLOCK)
                .forUser("u1");
        assertThat(s).containsExactly(new IceServer(List.of("turns:turn.example.org:443"), "tutor", "pw"));

        IceConfig none = new IceConfig(List.of("stun:a:1"), new IceConfig.Turn(List.of(), "secret", 3600, ""));
        assertThat(new IceServersService(none, new Secrets(Map.of()), CLOCK).forUser("u1")).hasSize(1);
    }

    @Test
    void missingOrWeakSecretRefusesStartUp() {
        IceConfig config = new IceConfig(List.of(), new IceConfig.Turn(List.of("turn:t:3478"), "secret", 3600, ""));
        assertThatThrownBy(() -> new IceServersService(config, new Secrets(Map.of()), CLOCK))
                .isInstanceOf(ConfigException.class).hasMessageContaining("LECTERN_TURN_SECRET");
        assertThatThrownBy(() -> new IceServersService(config, new Secrets(Map.of("LECTERN_TURN_SECRET", "short")), CLOCK))
                .isInstanceOf(ConfigException.class).hasMessageContaining("too short");
    }

    @Test
    void badUrlsAreConfigErrors() {
        assertThatThrownBy(() -> new IceConfig(List.of("http://x"), new IceConfig.Turn(List.of(), "secret", 3600, "")))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ice.stunUrls");
        assertThatThrownBy(() -> new IceConfig.Turn(List.of(), "magic", 3600, ""))
                .isInstanceOf(ConfigException.class).hasMessageContaining("ice.turn.mode");
    }
}
