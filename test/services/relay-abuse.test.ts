/**
 * Issue 15, relay and HTTP edge: one ballot through two relays, undecodable
 * bodies and paths, slow connections, /health without a chain call per
 * request. Real services on loopback against a live election.
 */
import http from "node:http";
import net from "node:net";
import zlib from "node:zlib";
import { expect } from "chai";
import express from "express";
import { toHex } from "viem";
import type { SignedBallot } from "../../server/protocol/ballot-check";
import { startRegistrar, type RunningRegistrar } from "../../server/registrar/app";
import { RollIdentityProvider } from "../../server/registrar/roll";
import { listen } from "../../server/service/http";
import type { RunningRelay } from "../../server/relay/app";
import { trackBallot } from "../../server/voter/voter";
import { credentialedVoter, signedBallotOf } from "../protocol/fixtures";
import {
  getJson,
  postJson,
  silent,
  startTestRegistrar,
  startTestRelay,
  tempDir,
  testVoters,
  waitFor,
  type HttpAnswer,
} from "./harness";
import { startLiveElection, type LiveElection } from "./live-election";

/** A JSON-RPC proxy in front of the node that counts calls by method. */
async function countingProxy(target: string) {
  const calls = new Map<string, number>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", async () => {
      const body = Buffer.concat(chunks).toString();
      const parsed = JSON.parse(body) as { method: string } | { method: string }[];
      for (const call of Array.isArray(parsed) ? parsed : [parsed])
        calls.set(call.method, (calls.get(call.method) ?? 0) + 1);
      const answer = await fetch(target, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      res.writeHead(answer.status, { "content-type": "application/json" });
      res.end(await answer.text());
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    count: (method: string) => calls.get(method) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/** A raw request with a Content-Encoding header and the given body bytes. */
async function encodedPost(url: string, encoding: string, body: Buffer): Promise<HttpAnswer> {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "content-encoding": encoding },
    body: new Uint8Array(body),
  });
  return { status: response.status, body: (await response.json()) as HttpAnswer["body"] };
}

/** Opens a socket from `localAddress` that sends `prefix` then trickles a byte a second. */
function slowClient(port: number, prefix: string, localAddress = "127.0.0.1") {
  const socket = net.connect({ port, host: "127.0.0.1", localAddress });
  let closed = false;
  socket.on("error", () => undefined);
  socket.on("close", () => (closed = true));
  socket.on("connect", () => socket.write(prefix));
  const timer = setInterval(() => !closed && socket.write("x"), 1_000);
  return {
    closed: () => closed,
    destroy: () => {
      clearInterval(timer);
      socket.destroy();
    },
    stop: () => clearInterval(timer),
  };
}

/** A GET /health from another loopback address (the flood's address is bounded, this one is not). */
const getFrom = (port: number, localAddress: string, path: string) =>
  new Promise<number>((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, localAddress }, (res) => {
      res.resume();
      res.on("end", () => resolve(res.statusCode ?? 0));
    });
    req.on("error", reject);
  });

describe("services: relay and HTTP edge under hostile input (issue 15)", function () {
  this.timeout(240_000);
  let live: LiveElection;
  let registrar: RunningRegistrar;
  let relays: RunningRelay[] = [];
  let dir: string;
  const choice = { "party-list": ["party-list-option-2"] };
  const bodyOf = (signed: SignedBallot) => ({
    ballot: toHex(signed.ballot),
    sequence: signed.sequence.toString(),
    signature: signed.signature,
  });

  before(async () => {
    live = await startLiveElection({ revotePolicy: "last-ballot-counts", relays: 3 });
    dir = tempDir("relay-abuse");
    registrar = await startTestRegistrar(live, testVoters(3), dir);
  });
  after(async () => {
    for (const relay of relays) await relay.close();
    await registrar?.close();
    await live?.stop();
  });

  it("one ballot sent to two relays at once: both report it on chain, in the same transaction; track agrees", async () => {
    for (let round = 0; round < 3; round++) {
      const fast = await startTestRelay(live, 0, tempDir("twin-a"), { maxWaitMs: 50 });
      // The second relay batches later and follows the chain slowly: its copy is refused on chain
      // (SequenceNotHigher) while its own index does not know the first relay's copy yet.
      const slow = await startTestRelay(live, 1, tempDir("twin-b"), { maxWaitMs: 1_500, pollMs: 60_000 });
      relays.push(fast, slow);
      const voter = await credentialedVoter(live.context, live.registrarKeys.get(0)!, 0);
      const signed = await signedBallotOf(live.context, voter, choice);
      const answers = await Promise.all(
        [fast, slow].map((r) => postJson(`${r.url}/v1/ballots`, bodyOf(signed))),
      );
      expect(answers[0].status, JSON.stringify(answers[0].body)).to.equal(202);
      // The slow relay accepts too, unless its view of the chain already shows the fast one's copy.
      if (answers[1].status !== 202) expect(answers[1].body.error?.code).to.equal("duplicate-ballot");
      const code = answers[0].body.trackingCode as string;
      // Something asks for the chain head meanwhile (viem then caches it for seconds).
      await live.client.getBlockNumber();
      await getJson(`${slow.url}/health`);
      const accepted = answers[1].status === 202 ? [fast, slow] : [fast];
      const settled = await Promise.all(
        accepted.map((r) =>
          waitFor(`${code} settled`, async () => {
            const answer = await getJson(`${r.url}/v1/ballots/${code}`);
            return answer.body.status === "queued" ? null : answer.body;
          }),
        ),
      );
      for (const s of settled) expect(s.status, JSON.stringify(s)).to.equal("on-chain");
      for (const s of settled) expect(s.transactionHash).to.equal(settled[0].transactionHash);
      const tracked = await trackBallot({
        client: live.client,
        election: live.election,
        trackingCode: code,
        relayUrls: [slow.url],
      });
      expect(tracked.chain.status).to.equal("recorded");
      expect(tracked.consistent).to.equal(true);
      await fast.close();
      await slow.close();
      relays = relays.filter((r) => r !== fast && r !== slow);
    }
  });

  it("undecodable gzip, deflate and br bodies, and a malformed percent-encoding: 400 with a reason code", async () => {
    const relay = await startTestRelay(live, 2, dir);
    relays.push(relay);
    const garbage = Buffer.from('{"not": "compressed"}');
    const truncated = zlib.gzipSync(Buffer.from(JSON.stringify({ a: "b".repeat(100) }))).subarray(0, 20);
    for (const url of [
      `${relay.url}/v1/ballots`,
      `${registrar.url}/v1/credentials`,
      `${registrar.url}/v1/style`,
    ])
      for (const [encoding, body] of [
        ["gzip", garbage],
        ["gzip", truncated],
        ["deflate", garbage],
        ["br", garbage],
      ] as const) {
        const answer = await encodedPost(url, encoding, body);
        expect(answer.status, `${url} ${encoding}`).to.equal(400);
        expect(answer.body.error?.code).to.equal("invalid-content-encoding");
      }
    // A well-formed gzip body is still read.
    const good = await encodedPost(
      `${registrar.url}/v1/style`,
      "gzip",
      zlib.gzipSync(Buffer.from(JSON.stringify({ voterId: "nobody", code: "123456" }))),
    );
    expect(good.status).to.equal(401);
    const path = await getJson(`${relay.url}/v1/ballots/%E0%A4%A`);
    expect(path.status).to.equal(400);
    expect(path.body.error?.code).to.equal("malformed-path");
    const elsewhere = await getJson(`${registrar.url}/v1/%E0%A4%A`);
    expect(elsewhere.status).to.equal(404);
    expect(elsewhere.body.error?.code).to.equal("not-found");
  });

  it("200 slow connections (headers, body, idle) are closed in seconds; others are still served", async () => {
    const relay = await startTestRelay(live, 2, tempDir("slow"), {
      connectionLimits: {
        headersTimeoutMs: 1_000,
        requestTimeoutMs: 2_000,
        idleTimeoutMs: 2_000,
        connectionsPerSource: 50,
      },
    });
    relays.push(relay);
    const clients = Array.from({ length: 200 }, (_, i) =>
      slowClient(
        relay.port,
        i % 3 === 0
          ? "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: " // slow headers
          : i % 3 === 1
            ? "POST /v1/ballots HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 10000\r\n\r\n{" // slow body
            : "", // idle
        "127.0.0.2",
      ),
    );
    try {
      // Beyond the bound per source, connections are closed at once.
      await waitFor("the connections beyond the bound closed", async () =>
        clients.filter((c) => c.closed()).length >= 150 ? true : null,
      );
      // Another source is served meanwhile.
      expect(await getFrom(relay.port, "127.0.0.3", "/v1/election")).to.equal(200);
      // The rest within the timeouts (seconds, not the 60 s of the campaign).
      await waitFor(
        "every slow connection closed",
        async () => (clients.every((c) => c.closed()) ? true : null),
        15_000,
      );
    } finally {
      for (const c of clients) c.destroy();
    }
  });

  it("an idle connection is closed; a slow answer is not idleness", async () => {
    const app = express();
    app.get("/slow", (_req, res) => void setTimeout(() => res.send("done"), 2_500));
    const listening = await listen(app, "127.0.0.1", 0, { idleTimeoutMs: 1_000, headersTimeoutMs: 500 });
    try {
      const idle = slowClient(listening.port, "", "127.0.0.1");
      idle.stop(); // sends nothing at all
      const answer = await fetch(`${listening.url}/slow`).then((r) => r.text());
      expect(answer).to.equal("done");
      await waitFor("the idle connection closed", async () => (idle.closed() ? true : null), 10_000);
    } finally {
      await listening.close();
    }
  });

  it("/health makes no chain call per request and is rate limited (relay and registrar)", async () => {
    const proxy = await countingProxy(live.endpoint.rpcUrl);
    const endpoint = { ...live.endpoint, rpcUrl: proxy.url };
    const relay = await startTestRelay(live, 2, tempDir("health"), {
      endpoint,
      healthRateLimit: { windowMs: 60_000, limit: 40 },
    });
    relays.push(relay);
    const ownRegistrar = await startRegistrar({
      endpoint,
      election: live.election,
      accountKey: live.registrarAccountKey,
      identity: new RollIdentityProvider([]),
      keys: live.registrarKeys,
      journalFile: `${tempDir("health-registrar")}/j.sqlite`,
      healthRateLimit: { windowMs: 60_000, limit: 40 },
      logger: silent,
      defaultMetrics: false,
    });
    try {
      for (const service of [relay, ownRegistrar]) {
        const before = proxy.count("eth_blockNumber");
        const answers = await Promise.all(Array.from({ length: 30 }, () => getJson(`${service.url}/health`)));
        for (const a of answers) expect(a.status).to.equal(200);
        for (const a of answers) expect(a.body.head).to.be.a("string");
        // Not one per request: at most a few reads of the head, whatever the machine's speed.
        expect(proxy.count("eth_blockNumber") - before, service.url).to.be.at.most(5);
        const more = await Promise.all(Array.from({ length: 15 }, () => getJson(`${service.url}/health`)));
        const limited = more.filter((a) => a.status === 429);
        expect(limited.length, service.url).to.be.at.least(5);
        expect(limited[0].body.error?.code).to.equal("rate-limited");
      }
    } finally {
      await ownRegistrar.close();
      await proxy.close();
    }
  });
});
