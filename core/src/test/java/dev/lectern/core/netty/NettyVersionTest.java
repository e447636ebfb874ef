package dev.lectern.core.netty;

import static org.assertj.core.api.Assertions.assertThat;

import io.netty.util.Version;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Mixing Netty artifacts of different versions breaks at run time in odd ways; the build must never allow it. */
class NettyVersionTest {
    @Test
    void exactlyOneNettyVersionOnTheClasspath() {
        Set<String> versions = Version.identify().values().stream()
                .map(Version::artifactVersion)
                .collect(Collectors.toSet());
        assertThat(Version.identify()).isNotEmpty();
        assertThat(versions).as("Netty artifact versions on the classpath: %s", Version.identify())
                .containsExactly("4.2.18.Final");
    }

    @Test
    void nativeEpollIsUsedOnLinux() {
        if (System.getProperty("os.name").toLowerCase().contains("linux")
                && System.getProperty("os.arch").matches("amd64|x86_64|aarch64")) {
            assertThat(EventLoops.epoll()).isTrue();
        }
    }
}
