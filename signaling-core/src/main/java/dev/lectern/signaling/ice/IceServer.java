package dev.lectern.signaling.ice;

import com.fasterxml.jackson.annotation.JsonInclude;
import java.util.List;

/** One entry of the browser's {@code RTCConfiguration.iceServers}. */
@JsonInclude(JsonInclude.Include.NON_NULL)
public record IceServer(List<String> urls, String username, String credential) {
    public IceServer {
        urls = List.copyOf(urls);
    }
}
