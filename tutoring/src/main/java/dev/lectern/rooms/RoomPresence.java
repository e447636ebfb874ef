package dev.lectern.rooms;

import java.util.List;

/** Who is connected to a room right now, as the signaling layer sees it (user ids). */
@FunctionalInterface
public interface RoomPresence {
    List<String> online(String roomId);

    RoomPresence NONE = roomId -> List.of();
}
