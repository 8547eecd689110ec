/**
 * The two client sides of `npm run bench:abuse` (scripts/bench/abuse.ts), each
 * in its own worker thread so that neither steals the services' event loop:
 *
 *   voters: legitimate voters, each from its own loopback address, sign in
 *           (POST /v1/credentials), build and sign a ballot, cast it
 *           (POST /v1/ballots); latencies of both requests are recorded.
 *   flood:  hostile clients on a few loopback addresses (wrong codes, also for
 *           the legitimate voters' ids; malformed, forged, undecodable bodies;
 *           bad paths; /health spam) and slow connections, bounded in count
 *           and in time.
 */
import http from "node:http";
import net from "node:net";
import { parentPort, workerData } from "node:worker_threads";
import zlib from "node:zlib";
import { publicClientFor } from "../../server/chain/clients";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { loadElectionRules } from "../../server/service/election-info";
import {
  finishCredential,
  newVotingKey,
  prepareBallot,
  startCredentialRequest,
} from "../../server/voter/booth";

export interface VotersInput {
  role: "voters";
  rpcUrl: string;
  chainId: number;
  election: `0x${string}`;
  registrarUrl: string;
  relayUrl: string;
  voters: { voterId: string; code: string; style: number; source: string }[];
  concurrency: number;
}

export interface FloodInput {
  role: "flood";
  registrarUrl: string;
  relayUrl: string;
  /** Voter ids to send wrong codes for (the legitimate voters'). */
  targetIds: string[];
  sources: string[];
  slowSource: string;
  slowConnections: number;
  inFlightPerSource: number;
  maxRequests: number;
  maxMs: number;
}

export interface VoterOutcome {
  voterId: string;
  signInMs: number | null;
  castMs: number | null;
  ok: boolean;
  failure?: string;
}

export interface FloodOutcome {
  requests: number;
  byStatus: Record<string, number>;
  /** Requests the services closed without an answer (connection bound, timeouts). */
  dropped: number;
  slowClosedWithinMs: number[];
  durationMs: number;
}

interface Answer {
  status: number;
  body: string;
}

const agents = new Map<string, http.Agent>();
const agentFor = (source: string) => {
  let agent = agents.get(source);
  if (agent === undefined) {
    agent = new http.Agent({ keepAlive: true, maxSockets: 16, localAddress: source });
    agents.set(source, agent);
  }
  return agent;
};

/** One request from `source`, answered or failed within 30 s. */
function send(
  url: string,
  source: string,
  options: { method?: string; headers?: Record<string, string>; body?: Buffer | string } = {},
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      url,
      { method: options.method ?? "GET", headers: options.headers, agent: agentFor(source), timeout: 30_000 },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (c: Buffer) => chunks.push(c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on("error", reject);
      },
    );
    req.on("timeout", () => req.destroy(new Error("timeout")));
    req.on("error", reject);
    req.end(options.body);
  });
}

const postJson = (url: string, source: string, value: unknown) =>
  send(url, source, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(value),
  });

async function runVoters(input: VotersInput): Promise<VoterOutcome[]> {
  await initCrypto();
  const client = publicClientFor({ rpcUrl: input.rpcUrl, chainId: input.chainId });
  const rules = await loadElectionRules(client, input.election);
  const outcomes: VoterOutcome[] = [];
  let next = 0;
  const one = async (voter: VotersInput["voters"][number]): Promise<VoterOutcome> => ({
    voterId: voter.voterId,
    ...(await attempt(voter)),
  });
  const attempt = async (voter: VotersInput["voters"][number]): Promise<Omit<VoterOutcome, "voterId">> => {
    const modulus = rules.registrarKeys.get(voter.style)!;
    const votingKey = newVotingKey();
    const request = await startCredentialRequest(rules.context, modulus, voter.style, votingKey);
    let start = performance.now();
    const issued = await postJson(`${input.registrarUrl}/v1/credentials`, voter.source, {
      voterId: voter.voterId,
      code: voter.code,
      style: voter.style,
      blindedMessage: request.blindedMessage,
    }).catch((e: Error) => ({ status: 0, body: e.message }));
    const signInMs = performance.now() - start;
    if (issued.status !== 200)
      return {
        signInMs,
        castMs: null,
        ok: false,
        failure: `sign-in ${issued.status} ${issued.body.slice(0, 120)}`,
      };
    const credential = await finishCredential(
      modulus,
      request,
      (JSON.parse(issued.body) as { blindSignature: `0x${string}` }).blindSignature,
    );
    const ballot = await prepareBallot(
      rules.context,
      votingKey,
      credential,
      { "party-list": ["party-list-option-1"] },
      1n,
    );
    start = performance.now();
    const cast = await postJson(`${input.relayUrl}/v1/ballots`, voter.source, ballot.request).catch(
      (e: Error) => ({ status: 0, body: e.message }),
    );
    const castMs = performance.now() - start;
    if (cast.status !== 202)
      return { signInMs, castMs, ok: false, failure: `cast ${cast.status} ${cast.body.slice(0, 120)}` };
    return { signInMs, castMs, ok: true };
  };
  await Promise.all(
    Array.from({ length: input.concurrency }, async () => {
      while (next < input.voters.length) {
        const voter = input.voters[next++];
        outcomes.push(await one(voter));
      }
    }),
  );
  return outcomes;
}

/** Opens a connection that sends a partial request, then a byte a second, until closed by the server. */
function slowConnection(url: string, source: string, prefix: string): Promise<number> {
  const { hostname, port } = new URL(url);
  const opened = performance.now();
  return new Promise((resolve) => {
    const socket = net.connect({ host: hostname, port: Number(port), localAddress: source });
    const timer = setInterval(() => socket.write("x"), 1_000);
    socket.on("connect", () => socket.write(prefix));
    socket.on("error", () => undefined);
    socket.on("close", () => {
      clearInterval(timer);
      resolve(performance.now() - opened);
    });
    // The bench's own bound: never longer than two minutes.
    setTimeout(() => socket.destroy(), 120_000).unref();
  });
}

async function runFlood(input: FloodInput): Promise<FloodOutcome> {
  const started = performance.now();
  const deadline = started + input.maxMs;
  const byStatus: Record<string, number> = {};
  let requests = 0;
  let dropped = 0;
  const random = (n: number) => Math.floor(Math.random() * n);
  const hex = (bytes: number) =>
    Buffer.from(Array.from({ length: bytes }, () => random(256))).toString("hex");
  const badGzip = Buffer.from('{"not":"gzip"}');
  const { registrarUrl: reg, relayUrl: rel } = input;
  const kinds: ((source: string) => Promise<Answer>)[] = [
    // Wrong codes for the legitimate voters' ids (lockout as a weapon) and for unknown ids.
    (s) =>
      postJson(`${reg}/v1/style`, s, {
        voterId: input.targetIds[random(input.targetIds.length)],
        code: `guess-${hex(4)}`,
      }),
    (s) =>
      postJson(`${reg}/v1/credentials`, s, {
        voterId: `ghost-${hex(3)}`,
        code: `guess-${hex(4)}`,
        blindedMessage: `0x${hex(256)}`,
      }),
    // Malformed, undecodable, oversized, bad paths.
    (s) =>
      send(`${reg}/v1/credentials`, s, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"voterId": ',
      }),
    (s) =>
      send(`${reg}/v1/style`, s, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: badGzip,
      }),
    (s) => send(`${reg}/v1/%E0%A4%A`, s),
    (s) => postJson(`${reg}/v1/style`, s, { voterId: "x", code: "y".repeat(20_000) }),
    // Forged ballots (random bytes, random signature), malformed and undecodable bodies, bad codes.
    (s) =>
      postJson(`${rel}/v1/ballots`, s, {
        ballot: `0x${hex(1_500)}`,
        sequence: "1",
        signature: `0x${hex(65)}`,
      }),
    (s) =>
      send(`${rel}/v1/ballots`, s, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: "[[[",
      }),
    (s) =>
      send(`${rel}/v1/ballots`, s, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "br" },
        body: badGzip,
      }),
    (s) => send(`${rel}/v1/ballots/%E0%A4%A`, s),
    (s) => send(`${rel}/v1/ballots/${hex(8).toUpperCase().slice(0, 16)}`, s),
    (s) => send(`${[reg, rel][random(2)]}/health`, s),
  ];
  const slow = Promise.all(
    Array.from({ length: input.slowConnections }, (_, i) =>
      slowConnection(
        i % 2 === 0 ? reg : rel,
        input.slowSource,
        i % 4 < 2
          ? "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "
          : "POST /v1/ballots HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 50000\r\n\r\n{",
      ),
    ),
  );
  // A well-formed gzip body of an unknown voter (decoded, then refused as a wrong code).
  kinds.push((s) =>
    send(`${reg}/v1/style`, s, {
      method: "POST",
      headers: { "content-type": "application/json", "content-encoding": "gzip" },
      body: zlib.gzipSync(JSON.stringify({ voterId: `ghost-${hex(3)}`, code: "000000" })),
    }),
  );
  await Promise.all(
    input.sources.flatMap((source) =>
      Array.from({ length: input.inFlightPerSource }, async () => {
        while (requests < input.maxRequests && performance.now() < deadline && !stopped) {
          requests++;
          try {
            const answer = await kinds[random(kinds.length)](source);
            byStatus[answer.status] = (byStatus[answer.status] ?? 0) + 1;
          } catch {
            dropped++;
          }
        }
      }),
    ),
  );
  const slowClosedWithinMs = await slow;
  for (const agent of agents.values()) agent.destroy();
  return { requests, byStatus, dropped, slowClosedWithinMs, durationMs: performance.now() - started };
}

let stopped = false;
parentPort?.on("message", (m: unknown) => {
  if (m === "stop") stopped = true;
});

const input = workerData as VotersInput | FloodInput;
(input.role === "voters" ? runVoters(input) : runFlood(input)).then(
  (result) => parentPort?.postMessage({ result }),
  (error: unknown) =>
    parentPort?.postMessage({ error: error instanceof Error ? error.stack : String(error) }),
);
