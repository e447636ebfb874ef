package dev.lectern.signaling.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lectern.core.json.Json;
import java.util.List;

/** The {@code ice_servers} (RTCIceServer list) a joining user gets. TURN credentials plug in here later. */
public interface IceServers {
    JsonNode forUser(String userId);

    /** One entry with the given STUN URLs (none when the list is empty). */
    static IceServers stun(List<String> urls) {
        ArrayNode servers = Json.MAPPER.createArrayNode();
        if (!urls.isEmpty()) {
            ArrayNode list = servers.addObject().putArray("urls");
            urls.forEach(list::add);
        }
        return userId -> servers.deepCopy();
    }
}
