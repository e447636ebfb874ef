// The Node.js peer of the signaling benchmarks: socket.io 4.8.1 doing Lectern's join/offer relay for the load
// generator (rooms of two, the same event names and payload shapes), on one node or, with --redis, on several nodes
// over @socket.io/redis-adapter 8.3 (a key prefix of its own on the shared Redis).
//
//   node relay.mjs --port 3000 [--host 127.0.0.1] [--redis redis://127.0.0.1:6379 --key PREFIX]
//
// Started by bin/bench (SignalingLoad / ClusterRelay --peer node); prints "listening <port>" once it accepts.
// What it checks mirrors Lectern's RelayValidator for these events (room id shape and length, SDP shape and size,
// membership, room capacity), so that both sides do the same work per event; it has no connection state recovery
// (the Redis adapter does not support it) and no recovery log, which Lectern keeps.
import { createServer } from "node:http";
import { Server } from "socket.io";

const ROOM_CAPACITY = 2; // signaling.roomCapacity
const MAX_ROOM_ID_CHARS = 128; // signaling.maxRoomIdChars
const MAX_SDP_BYTES = 65536; // signaling.maxSdpBytes
const ROOM_ID = /^[A-Za-z0-9_.:@-]+$/;
const DEV_USER_ID = /^[A-Za-z0-9_.@-]{1,64}$/;

function options(argv) {
  const o = { host: "127.0.0.1", port: 3000, redis: null, key: "socket.io" };
  for (let i = 2; i < argv.length; i += 2) {
    const name = argv[i].replace(/^--/, "");
    if (!(name in o) || i + 1 >= argv.length) {
      console.error("usage: node relay.mjs --port N [--host H] [--redis URL --key PREFIX]");
      process.exit(64);
    }
    o[name] = name === "port" ? Number(argv[i + 1]) : argv[i + 1];
  }
  return o;
}

class RelayError extends Error {
  constructor(code, message) {
    super(message);
    this.code = code;
  }
}

function roomIdOf(data) {
  if (data === null || typeof data !== "object" || Array.isArray(data)) {
    throw new RelayError("bad_request", "data must be an object");
  }
  const id = data.room_id;
  if (typeof id !== "string" || id.length === 0) {
    throw new RelayError("bad_request", "room_id must be a non-empty string");
  }
  if (id.length > MAX_ROOM_ID_CHARS || !ROOM_ID.test(id)) {
    throw new RelayError("bad_request", `room_id must be at most ${MAX_ROOM_ID_CHARS} characters of A-Z a-z 0-9 _ . : @ -`);
  }
  return id;
}

function sdpOf(data) {
  const sdp = data.sdp;
  if (typeof sdp !== "string") {
    throw new RelayError("invalid_sdp", "sdp must be a string");
  }
  if (!sdp.startsWith("v=0")) {
    throw new RelayError("invalid_sdp", "sdp must start with v=0");
  }
  if (sdp.length > MAX_SDP_BYTES || Buffer.byteLength(sdp) > MAX_SDP_BYTES) {
    throw new RelayError("invalid_sdp", `sdp larger than ${MAX_SDP_BYTES} bytes`);
  }
  return sdp;
}

function describe(socket) {
  return { peer_id: socket.id, user_id: socket.data.userId, is_host: false };
}

/**
 * Runs a handler (synchronous, or returning a promise); a RelayError becomes an `error` event (and a failed ack), as
 * Lectern answers a bad event. The relay path stays synchronous: no promise per event.
 */
function handle(socket, fn) {
  return (data, ack) => {
    try {
      const result = fn(data);
      if (result instanceof Promise) {
        result.then((r) => reply(ack, r), (e) => refuse(socket, ack, e));
      } else {
        reply(ack, result);
      }
    } catch (e) {
      refuse(socket, ack, e);
    }
  };
}

function reply(ack, result) {
  if (typeof ack === "function") {
    ack(result);
  }
}

function refuse(socket, ack, e) {
  if (!(e instanceof RelayError)) {
    console.error(e);
    e = new RelayError("internal", "internal error");
  }
  socket.emit("error", { code: e.code, message: e.message });
  reply(ack, { ok: false, code: e.code, message: e.message });
}

async function main() {
  const o = options(process.argv);
  const http = createServer();
  // socket.io's defaults are Lectern's too: pingInterval 25000, pingTimeout 20000, maxHttpBufferSize 1e6
  const io = new Server(http, { serveClient: false, pingInterval: 25000, pingTimeout: 20000 });
  if (o.redis) {
    const { createClient } = await import("redis");
    const { createAdapter } = await import("@socket.io/redis-adapter");
    const pub = createClient({ url: o.redis });
    const sub = pub.duplicate();
    for (const c of [pub, sub]) {
      c.on("error", (e) => console.error("redis:", e.message));
    }
    await Promise.all([pub.connect(), sub.connect()]);
    io.adapter(createAdapter(pub, sub, { key: o.key }));
  }

  io.use((socket, next) => {
    const userId = socket.handshake.auth && socket.handshake.auth.user_id;
    if (typeof userId === "string" && DEV_USER_ID.test(userId)) {
      socket.data.userId = userId;
      next();
    } else {
      next(new Error("unauthorized"));
    }
  });

  io.on("connection", (socket) => {
    socket.on("join", handle(socket, async (data) => {
      const roomId = roomIdOf(data);
      const again = socket.rooms.has(roomId);
      socket.join(roomId);
      // joined first, then the roster (on every node, through the adapter): of two sockets joining at once on two
      // nodes, at least one sees the other and the other hears its peer-joined
      const others = (await io.in(roomId).fetchSockets()).filter((s) => s.id !== socket.id);
      if (!again && others.length >= ROOM_CAPACITY) {
        socket.leave(roomId);
        throw new RelayError("room_full", "the room is full");
      }
      const joined = {
        room_id: roomId,
        peer_id: socket.id,
        user_id: socket.data.userId,
        peers: others.map(describe),
        ice_servers: [],
      };
      socket.emit("joined", joined);
      if (!again) {
        socket.to(roomId).emit("peer-joined", { ...describe(socket), room_id: roomId });
      }
      return joined;
    }));

    for (const event of ["offer", "answer"]) {
      socket.on(event, handle(socket, (data) => {
        const roomId = roomIdOf(data);
        const sdp = sdpOf(data);
        if (!socket.rooms.has(roomId)) {
          throw new RelayError("not_in_room", "not a member of this room");
        }
        socket.to(roomId).emit(event, { room_id: roomId, sdp, from: socket.id, user_id: socket.data.userId });
        return { ok: true, room_id: roomId };
      }));
    }

    socket.on("leave", handle(socket, (data) => {
      const roomId = roomIdOf(data);
      if (!socket.rooms.has(roomId)) {
        throw new RelayError("not_in_room", "not a member of this room");
      }
      socket.leave(roomId);
      socket.to(roomId).emit("peer-left", { room_id: roomId, peer_id: socket.id, user_id: socket.data.userId });
      return { ok: true, room_id: roomId };
    }));

    socket.on("disconnecting", () => {
      for (const roomId of socket.rooms) {
        if (roomId !== socket.id) {
          socket.to(roomId).emit("peer-left", { room_id: roomId, peer_id: socket.id, user_id: socket.data.userId });
        }
      }
    });
  });

  http.listen(o.port, o.host, () => console.log(`listening ${o.port}`));
  for (const signal of ["SIGTERM", "SIGINT"]) {
    process.on(signal, () => {
      io.close();
      process.exit(0);
    });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
