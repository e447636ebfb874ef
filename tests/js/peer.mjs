// A scripted socket.io-client peer for the Java integration tests.
//   node peer.mjs URL AUTH_JSON [TRANSPORTS] [reconnect] [HEADERS_JSON]   (headers of the handshakes, e.g. Cookie)
// Prints one JSON line per thing that happens: {"connect":id}, {"connect_error":message}, {"event":name,"data":...},
// {"ack":n,"data":...}, {"disconnect":reason}. Reads one JSON command per line on stdin:
//   {"emit":"join","data":{...},"ack":1}   emit (with an ack id to report the reply under)
//   {"drop":true}                          kill the underlying transport without a goodbye, then exit
//   {"sever":true}                         kill the underlying transport and stay (with "reconnect": resume)
//   {"close":true}                         disconnect cleanly and exit
import { io } from "socket.io-client";
import { createInterface } from "node:readline";

const [url, authJson, transports, mode, headersJson] = process.argv.slice(2);
const out = (obj) => process.stdout.write(JSON.stringify(obj) + "\n");
const socket = io(url, {
  auth: JSON.parse(authJson || "{}"),
  transports: transports ? transports.split(",") : ["polling", "websocket"],
  reconnection: mode === "reconnect",
  reconnectionDelay: 100,
  reconnectionDelayMax: 200,
  timeout: 10000,
  extraHeaders: JSON.parse(headersJson || "{}"),
});

socket.on("connect", () =>
  out({ connect: socket.id, transport: socket.io.engine.transport.name, recovered: socket.recovered }));
socket.on("connect_error", (err) => out({ connect_error: err.message }));
socket.on("disconnect", (reason) => out({ disconnect: reason }));
socket.onAny((event, data) => out({ event, data }));
socket.io.engine?.on?.("upgrade", (t) => out({ upgrade: t.name }));

createInterface({ input: process.stdin }).on("line", (line) => {
  const cmd = JSON.parse(line);
  if (cmd.emit) {
    if (cmd.ack !== undefined) {
      socket.emit(cmd.emit, cmd.data, (reply) => out({ ack: cmd.ack, data: reply }));
    } else {
      socket.emit(cmd.emit, cmd.data);
    }
  } else if (cmd.drop) {
    socket.io.engine.close();
    setTimeout(() => process.exit(0), 100);
  } else if (cmd.sever) {
    socket.io.engine.close();
  } else if (cmd.close) {
    socket.close();
    setTimeout(() => process.exit(0), 100);
  }
}).on("close", () => process.exit(0));
