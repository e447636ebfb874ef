package dev.lectern.rooms;

import com.fasterxml.jackson.databind.JsonNode;
import dev.lectern.core.auth.Guests;
import dev.lectern.core.store.EphemeralStore;
import dev.lectern.core.store.sql.DuplicateKeyException;
import dev.lectern.signaling.room.Peer;
import dev.lectern.signaling.room.RoomAccess;
import dev.lectern.signaling.room.SignalingError;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Rooms are the REST rooms (issue #19 item 10): a {@code join} needs a room made with {@code POST /api/video/rooms}
 * that has not ended and is live, and the caller must be its owner, have taken part already, or hold an invite for it
 * ({@code POST /api/video/rooms/{id}/invites}); {@code is_host} holds only for the owner. In guest mode
 * ({@code accounts.guestAccess}) a guest may also join a room another guest made (the unguessable room id is the link)
 * and, as the seed front ends do, name a room id nobody made yet: the room is made then, owned by that guest.
 * Look-ups run on the given executor, never the event loop.
 */
public final class RoomAdmission implements RoomAccess {
    /** The room id column's width. */
    static final int MAX_NEW_ROOM_ID_CHARS = 40;

    private final RoomRepository rooms;
    private final EphemeralStore ephemeral;
    private final Executor executor;
    private final Duration liveTtl;
    private final boolean guests;
    private final Clock clock;

    public RoomAdmission(RoomRepository rooms, EphemeralStore ephemeral, Executor executor, Duration liveTtl,
                         boolean guests, Clock clock) {
        this.rooms = rooms;
        this.ephemeral = ephemeral;
        this.executor = executor;
        this.liveTtl = liveTtl;
        this.guests = guests;
        this.clock = clock;
    }

    /** The ephemeral key of an invite code; its value is the room it lets into. */
    public static String inviteKey(String code) {
        return "room:invite:" + code;
    }

    @Override
    public CompletionStage<Boolean> admit(Peer peer, String roomId, boolean wantsHost, JsonNode join) {
        JsonNode invite = join == null ? null : join.get("invite");
        String code = invite != null && invite.isTextual() && invite.asText().length() <= 64 ? invite.asText() : null;
        try {
            return CompletableFuture.supplyAsync(() -> decide(peer.userId(), roomId, wantsHost, code), executor);
        } catch (java.util.concurrent.RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new SignalingError("busy", "the server is busy; join again shortly"));
        }
    }

    private boolean decide(String userId, String roomId, boolean wantsHost, String invite) {
        boolean guest = Guests.isGuest(userId);
        Optional<RoomRepository.Room> found = rooms.findRoom(roomId);
        if (found.isEmpty() && guests && guest) {
            found = Optional.of(createForGuest(userId, roomId));
        }
        RoomRepository.Room room = found.orElseThrow(() -> new SignalingError("no_such_room",
                "no such room; make one with POST /api/video/rooms"));
        if (room.ended() || !ephemeral.exists(RoomRepository.liveKey(roomId))) {
            throw new SignalingError("room_not_live", "this room has ended or expired");
        }
        if (room.ownerId().equals(userId)) {
            return wantsHost;
        }
        boolean invited = invite != null && ephemeral.get(inviteKey(invite)).filter(roomId::equals).isPresent();
        boolean guestRoom = guests && guest && Guests.isGuest(room.ownerId());
        if (invited || guestRoom || rooms.isParticipant(roomId, userId)) {
            return false; // only the owner hosts
        }
        throw new SignalingError("forbidden", "not invited to this room");
    }

    /** The seed front ends' flow: a guest names a room id of its own; the first to join makes it and owns it. */
    private RoomRepository.Room createForGuest(String userId, String roomId) {
        if (roomId.length() > MAX_NEW_ROOM_ID_CHARS) {
            throw new SignalingError("bad_request", "a new room's id has at most " + MAX_NEW_ROOM_ID_CHARS
                    + " characters");
        }
        try {
            rooms.createRoom(roomId, userId, null, clock.millis());
            ephemeral.set(RoomRepository.liveKey(roomId), userId, liveTtl);
        } catch (DuplicateKeyException e) {
            // another guest made it first: theirs
        }
        return rooms.findRoom(roomId).orElseThrow(() -> new SignalingError("no_such_room", "no such room"));
    }
}
