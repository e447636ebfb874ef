package dev.lectern.signaling.room;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import dev.lectern.core.json.Json;
import java.util.List;

/** The {@code ice_servers} (RTCIceServer list) a joining user gets. */
public interface IceServers {
    JsonNode forUser(String userId);

    /** STUN and TURN (with the user's own short-lived credentials) from the configured ICE servers. */
    static IceServers of(dev.lectern.signaling.ice.IceServersService service) {
        return userId -> Json.MAPPER.valueToTree(service.forUser(userId));
    }

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
