package dev.lectern.core.netty;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.lectern.core.netty.EventLoops.Transport;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.uring.IoUring;
import org.junit.jupiter.api.Test;

/** The choice of transport by {@code lectern.transport}. */
class EventLoopsTest {
    private static final Transport AUTO = Epoll.isAvailable() ? Transport.EPOLL : Transport.NIO;

    @Test
    void autoIsEpollWhereAvailableAndNioOtherwise() {
        assertThat(EventLoops.choose("auto", false)).isEqualTo(AUTO);
        assertThat(EventLoops.choose("", false)).isEqualTo(AUTO);
        assertThat(EventLoops.choose("epoll", false)).isEqualTo(AUTO);
    }

    @Test
    void ioUringWhereAvailableElseTheAutomaticChoice() {
        assertThat(EventLoops.choose("io_uring", false))
                .isEqualTo(IoUring.isAvailable() ? Transport.IO_URING : AUTO);
        assertThat(EventLoops.choose("io-uring", false)).isEqualTo(EventLoops.choose("io_uring", false));
    }

    @Test
    void nioWhenAskedForEitherWay() {
        assertThat(EventLoops.choose("nio", false)).isEqualTo(Transport.NIO);
        assertThat(EventLoops.choose("io_uring", true)).isEqualTo(Transport.NIO);
    }

    @Test
    void anUnknownTransportIsAnError() {
        assertThatThrownBy(() -> EventLoops.choose("epol", false)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("epol");
    }
}
