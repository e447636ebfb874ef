package dev.lectern.core.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.lectern.testing.TestConfigs;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class AvatarsConfigTest {
    private static AvatarsConfig load(Consumer<ObjectNode> tweak) {
        ObjectNode tree = TestConfigs.tree();
        tweak.accept((ObjectNode) tree.get("avatars"));
        return ConfigLoader.bind(tree).avatars();
    }

    private static void refused(Consumer<ObjectNode> tweak, String... words) {
        assertThatThrownBy(() -> load(tweak)).isInstanceOf(ConfigException.class).hasMessageContainingAll(words);
    }

    @Test
    void shippedDefaultsDescribeOneLiveTalkingAvatarPerPort() {
        AvatarsConfig c = load(a -> { });
        assertThat(c.mode()).isEqualTo("local");
        assertThat(c.command()).contains("{model}", "{avatar}", "{port}");
        assertThat(c.gpus()).containsExactly("0");
        assertThat(c.capacity()).isEqualTo(2);
        assertThat(c.catalogue()).extracting(AvatarsConfig.Avatar::name).containsExactly("tutor-anna");
        assertThat(c.catalogue().get(0).active()).isTrue();
        assertThat(c.catalogue().get(0).previewImage()).endsWith(".png");
        assertThat(c.addedAvatarModel()).isEqualTo("wav2lip");
    }

    @Test
    void environmentOverridesReachTheAvatarsSection() {
        ServerConfig c = ConfigLoader.load(TestConfigs.defaultFile(), java.util.Map.of(
                "LECTERN_AVATARS__GPUS", "0,1,2", "LECTERN_AVATARS__IDLE_STOP_MILLIS", "1000"));
        assertThat(c.avatars().gpus()).containsExactly("0", "1", "2");
        assertThat(c.avatars().idleStopMillis()).isEqualTo(1000);
    }

    @Test
    void unusableValuesNameTheirKey() {
        refused(a -> a.put("mode", "cloud"), "avatars.mode", "cloud");
        refused(a -> a.put("mode", "external").put("externalUrl", "ftp://x"), "avatars.externalUrl");
        refused(a -> a.putArray("command").add("python").add("app.py"), "avatars.command", "{port}");
        refused(a -> a.put("portRangeStart", 9000).put("portRangeEnd", 8999), "portRangeStart");
        refused(a -> a.put("portRangeStart", 80), "1024");
        refused(a -> a.putArray("gpus").add("0").add("0"), "avatars.gpus", "twice");
        refused(a -> a.putArray("gpus").add("cuda:0"), "avatars.gpus");
        refused(a -> a.put("maxUsersPerInstance", 0), "avatars.maxUsersPerInstance");
        refused(a -> a.put("readyPath", "health"), "avatars.readyPath");
        refused(a -> ((ObjectNode) a.get("catalogue").get(0)).put("avatarId", "../../etc"), "avatarId");
        refused(a -> ((ObjectNode) a.get("catalogue").get(0)).put("status", "maybe"), "status");
        refused(a -> ((com.fasterxml.jackson.databind.node.ArrayNode) a.get("catalogue"))
                .add(a.get("catalogue").get(0).deepCopy()), "tutor-anna", "twice");
        refused(a -> a.put("addedAvatarModel", "--model=x y"), "avatars.addedAvatarModel");
        refused(a -> a.put("addedAvatarModel", ""), "avatars.addedAvatarModel");
        refused(a -> ((ObjectNode) a.get("catalogue").get(0)).remove("previewImage"), "previewImage");
    }
}
