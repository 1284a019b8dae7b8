// Event-stream clients in Node.js for bench/sse_clients.py --node: the same protocol as its Python clients
// (READY, RESULT and BACK lines on stdout), with Node's HTTP parser (llhttp, in C) instead of Python's
// asyncio, so that 10,000 streams on two cores measure the servers rather than the clients.
//
//     node bench/sse_client.mjs --port 8781 --clients 5000 --calls 30 --wait 60 --path /api/v1/halls/x/events
//
// Like EventSource, a client connects again one second after its stream ends or fails, and notes how long
// it took from the end to its next snapshot (BACK).
import http from "node:http";

const args = Object.fromEntries(
  process.argv.slice(2).reduce((pairs, value, n, all) => (n % 2 ? pairs : [...pairs, [all[n].slice(2), all[n + 1]]]), []),
);
const host = "127.0.0.1";
const port = Number(args.port);
const count = Number(args.clients);
const expected = Number(args.calls);
const waitMs = Number(args.wait) * 1000;
const path = args.path;
const BENCH_TYPE = "ticket.called";
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });

const latencies = [];
const streams = [];

class Stream {
  constructor() {
    this.snapshots = 0;
    this.received = 0;
    this.droppedAt = null;
    this.backAfter = null;
    this.onSnapshot = null;
    this.onDone = null;
    this.onBack = null;
  }

  connect() {
    const request = http.get({ host, port, path, agent, headers: { Accept: "text/event-stream" } }, (response) => {
      if (response.statusCode !== 200) {
        response.resume();
        response.on("end", () => this.dropped());
        return;
      }
      response.setEncoding("utf8");
      let buffer = "";
      let fields = {};
      response.on("data", (chunk) => {
        buffer += chunk;
        let end;
        while ((end = buffer.indexOf("\n")) >= 0) {
          const line = buffer.slice(0, end);
          buffer = buffer.slice(end + 1);
          if (line === "") {
            this.dispatch(fields.event, fields.data);
            fields = {};
          } else if (!line.startsWith(":")) {
            const colon = line.indexOf(":");
            const name = colon < 0 ? line : line.slice(0, colon);
            const value = colon < 0 ? "" : line.slice(colon + 1).replace(/^ /, "");
            fields[name] = value;
          }
        }
      });
      response.on("end", () => this.dropped());
      response.on("error", () => this.dropped());
    });
    request.on("error", () => this.dropped());
  }

  dropped() {
    if (this.droppedAt === null) this.droppedAt = Date.now() / 1000;
    setTimeout(() => this.connect(), 1000); // the server's retry: 1000
  }

  dispatch(event, data) {
    const now = Date.now() / 1000;
    if (event === "snapshot") {
      this.snapshots += 1;
      if (this.onSnapshot) this.onSnapshot();
      if (this.droppedAt !== null) {
        this.backAfter = now - this.droppedAt;
        this.droppedAt = null;
        if (this.onBack) this.onBack();
      }
    } else if (event === BENCH_TYPE && data) {
      const sent = JSON.parse(data).bench_sent;
      if (sent !== undefined) {
        latencies.push(now - sent);
        this.received += 1;
        if (this.received >= expected && this.onDone) this.onDone();
      }
    }
  }
}

function allOf(hook, test) {
  return Promise.all(
    streams.map((stream) => (test(stream) ? Promise.resolve() : new Promise((resolve) => (stream[hook] = resolve)))),
  );
}

// console.log to a pipe is asynchronous: a long line (RESULT) must be written out before process.exit.
function say(line) {
  return new Promise((resolve) => process.stdout.write(line + "\n", resolve));
}

function within(promise, ms) {
  return Promise.race([promise, new Promise((resolve) => setTimeout(resolve, ms))]);
}

const started = performance.now();
for (let n = 0; n < count; n++) {
  const stream = new Stream();
  streams.push(stream);
  stream.connect();
  if (n % 50 === 49) await new Promise((resolve) => setTimeout(resolve, 50)); // screens do not all connect at once
}
await allOf("onSnapshot", (s) => s.snapshots > 0);
await say(`READY ${((performance.now() - started) / 1000).toFixed(3)}`);
if (expected) await within(allOf("onDone", (s) => s.received >= expected), waitMs);
const complete = streams.filter((s) => s.received >= expected).length;
await say(`RESULT ${JSON.stringify({ latencies, complete })}`);
if (expected) {
  await within(allOf("onBack", (s) => s.backAfter !== null), waitMs + 120000);
  await say(`BACK ${JSON.stringify(streams.map((s) => s.backAfter))}`);
}
process.exit(0);
