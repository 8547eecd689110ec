/**
 * Abuse benchmark (`npm run bench:abuse`): legitimate voters sign in and cast
 * while a bounded flood of hostile requests runs against the registrar and a
 * relay, on loopback, against a local Hardhat node with a real election.
 * Prints the voters' success rate and p99 latencies with the flood beside the
 * same figures without it (docs/threat-model.md section 10).
 *
 *   npm run bench:abuse                  human-readable report (stderr) and table (stdout)
 *   npm run bench:abuse -- --json        one JSON object on stdout, nothing else
 *   options: --voters N (60 per phase) --concurrency N (6) --flood-sources N (8)
 *            --in-flight N (8 per source) --slow N (200) --max-requests N (20000) --max-seconds N (90)
 *
 * Services run in this process with their default limits (rate limits,
 * attempt policy, timeouts, connections per source); voters and the flood run
 * in worker threads. Each voter has its own loopback address (127.0.1.x), the
 * flood uses 127.0.0.2-127.0.0.(1+N), the slow connections 127.0.0.100: the
 * per-source limits see them as the different clients they would be.
 */
import { loadavg } from "node:os";
import path from "node:path";
import { Worker } from "node:worker_threads";
import pino from "pino";
import { startRegistrar } from "../../server/registrar/app";
import { hashRoll, RollIdentityProvider } from "../../server/registrar/roll";
import { startRelay } from "../../server/relay/app";
import { startLiveElection } from "../../test/services/live-election";
import { tempDir, testVoters } from "../../test/services/harness";
import type { FloodInput, FloodOutcome, VoterOutcome, VotersInput } from "./abuse-worker";

const args = process.argv.slice(2);
const json = args.includes("--json");
const option = (name: string, fallback: number) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? Number(args[i + 1]) : fallback;
};
const VOTERS = option("voters", 60);
const CONCURRENCY = option("concurrency", 6);
const FLOOD_SOURCES = option("flood-sources", 8);
const IN_FLIGHT = option("in-flight", 8);
const SLOW = option("slow", 200);
const MAX_REQUESTS = option("max-requests", 20_000);
const MAX_SECONDS = option("max-seconds", 90);
const progress = (line: string) => process.stderr.write(`• ${line}\n`);

function inWorker<T>(input: VotersInput | FloodInput): { result: Promise<T>; worker: Worker } {
  const bootstrap = `require(${JSON.stringify(require.resolve("tsx/cjs"))}); require(${JSON.stringify(path.join(__dirname, "abuse-worker.ts"))});`;
  const worker = new Worker(bootstrap, { eval: true, workerData: input });
  const result = new Promise<T>((resolve, reject) => {
    worker.once("message", (m: { result?: T; error?: string }) => {
      void worker.terminate();
      if (m.result !== undefined) resolve(m.result);
      else reject(new Error(m.error));
    });
    worker.once("error", reject);
  });
  return { result, worker };
}

const percentile = (values: number[], p: number) => {
  if (values.length === 0) return null;
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)] * 10) / 10;
};

function summary(outcomes: VoterOutcome[]) {
  const signIn = outcomes.flatMap((o) => (o.signInMs === null ? [] : [o.signInMs]));
  const cast = outcomes.flatMap((o) => (o.castMs === null ? [] : [o.castMs]));
  return {
    voters: outcomes.length,
    succeeded: outcomes.filter((o) => o.ok).length,
    successRate: Math.round((outcomes.filter((o) => o.ok).length / outcomes.length) * 10_000) / 10_000,
    signInP50Ms: percentile(signIn, 50),
    signInP90Ms: percentile(signIn, 90),
    signInP99Ms: percentile(signIn, 99),
    castP50Ms: percentile(cast, 50),
    castP90Ms: percentile(cast, 90),
    castP99Ms: percentile(cast, 99),
    failures: outcomes.flatMap((o) => (o.failure === undefined ? [] : [o.failure])).slice(0, 5),
  };
}

const sourceOf = (i: number) => `127.0.${1 + Math.floor(i / 250)}.${1 + (i % 250)}`;

async function main() {
  const loadBefore = loadavg();
  progress("starting a Hardhat node with an election (key ceremony, registrar keys, relay role)");
  const live = await startLiveElection({ revotePolicy: "last-ballot-counts", relays: 1 });
  const dir = tempDir("bench-abuse");
  const logger = pino({ level: "silent" });
  try {
    const voters = testVoters(2 * VOTERS, 0, "bench");
    progress(`hashing the roll of ${voters.length} voters at the default cost (scrypt 2^15)`);
    const roll = await hashRoll(voters);
    const registrar = await startRegistrar({
      endpoint: live.endpoint,
      election: live.election,
      accountKey: live.registrarAccountKey,
      identity: new RollIdentityProvider(roll),
      keys: live.registrarKeys,
      journalFile: path.join(dir, "registrar.sqlite"),
      logger,
      defaultMetrics: false,
    });
    const relay = await startRelay({
      endpoint: live.endpoint,
      election: live.election,
      accountKey: live.relayAccountKeys[0],
      queueFile: path.join(dir, "relay.sqlite"),
      logger,
      defaultMetrics: false,
    });
    try {
      const common = {
        role: "voters" as const,
        rpcUrl: live.endpoint.rpcUrl,
        chainId: live.endpoint.chainId,
        election: live.election,
        registrarUrl: registrar.url,
        relayUrl: relay.url,
        concurrency: CONCURRENCY,
      };
      const phase = (from: number) =>
        voters.slice(from, from + VOTERS).map((v, i) => ({ ...v, source: sourceOf(from + i) }));

      progress(`baseline: ${VOTERS} voters sign in and cast, ${CONCURRENCY} at a time, no flood`);
      const baselineStart = performance.now();
      const baseline = summary(await inWorker<VoterOutcome[]>({ ...common, voters: phase(0) }).result);
      const baselineSeconds = (performance.now() - baselineStart) / 1000;

      progress(
        `flood: ${FLOOD_SOURCES} hostile sources x ${IN_FLIGHT} in flight, ${SLOW} slow connections, at most ${MAX_REQUESTS} requests / ${MAX_SECONDS} s`,
      );
      const targeted = new Set(
        phase(VOTERS)
          .slice(0, 5)
          .map((v) => v.voterId),
      );
      const flood = inWorker<FloodOutcome>({
        role: "flood",
        registrarUrl: registrar.url,
        relayUrl: relay.url,
        // Wrong codes aimed at a few of the voters to come, enough to lock their ids.
        targetIds: [...targeted],
        sources: Array.from({ length: FLOOD_SOURCES }, (_, i) => `127.0.0.${2 + i}`),
        slowSource: "127.0.0.100",
        slowConnections: SLOW,
        inFlightPerSource: IN_FLIGHT,
        maxRequests: MAX_REQUESTS,
        maxMs: MAX_SECONDS * 1000,
      });
      await new Promise((r) => setTimeout(r, 2_000)); // the flood is running before the voters come
      const underStart = performance.now();
      const underFloodOutcomes = await inWorker<VoterOutcome[]>({ ...common, voters: phase(VOTERS) }).result;
      const underFlood = summary(underFloodOutcomes);
      const underSeconds = (performance.now() - underStart) / 1000;
      flood.worker.postMessage("stop");
      const floodOutcome = await flood.result;
      const health = await fetch(`${relay.url}/health`).then((r) => r.status);
      const loadAfter = loadavg();

      const slowMs = floodOutcome.slowClosedWithinMs;
      const report = {
        benchmark: "abuse",
        voters: VOTERS,
        concurrency: CONCURRENCY,
        baseline: { ...baseline, seconds: Math.round(baselineSeconds * 10) / 10 },
        underFlood: { ...underFlood, seconds: Math.round(underSeconds * 10) / 10 },
        // The voters whose ids the flood sent wrong codes for (locked while they signed in).
        targetedVoters: summary(underFloodOutcomes.filter((o) => targeted.has(o.voterId))),
        flood: {
          sources: FLOOD_SOURCES,
          inFlightPerSource: IN_FLIGHT,
          requests: floodOutcome.requests,
          requestsPerSecond: Math.round(floodOutcome.requests / (floodOutcome.durationMs / 1000)),
          byStatus: floodOutcome.byStatus,
          serverErrors: Object.entries(floodOutcome.byStatus)
            .filter(([status]) => Number(status) >= 500)
            .reduce((n, [, count]) => n + count, 0),
          closedWithoutAnswer: floodOutcome.dropped,
          slowConnections: slowMs.length,
          slowClosedP50Ms: percentile(slowMs, 50),
          slowClosedMaxMs: percentile(slowMs, 100),
          seconds: Math.round(floodOutcome.durationMs / 100) / 10,
        },
        relayHealthAfter: health,
        loadAverage: {
          before: loadBefore.map((l) => Math.round(l * 100) / 100),
          after: loadAfter.map((l) => Math.round(l * 100) / 100),
        },
        cores: (await import("node:os")).availableParallelism(),
      };
      if (json) console.log(JSON.stringify(report));
      else {
        const row = (name: string, s: typeof baseline) =>
          `${name.padEnd(12)} ${`${s.succeeded}/${s.voters}`.padStart(7)} ${String(s.signInP50Ms).padStart(9)} ${String(s.signInP99Ms).padStart(9)} ${String(s.castP50Ms).padStart(9)} ${String(s.castP99Ms).padStart(9)}`;
        console.log(
          `${"".padEnd(12)} ${"success".padStart(7)} ${"signIn50".padStart(9)} ${"signIn99".padStart(9)} ${"cast50".padStart(9)} ${"cast99".padStart(9)}  (ms)`,
        );
        console.log(row("no flood", baseline));
        console.log(row("under flood", underFlood));
        console.log(row("  targeted", report.targetedVoters));
        console.log(
          `flood: ${report.flood.requests} requests (${report.flood.requestsPerSecond}/s) from ${FLOOD_SOURCES} sources, by status ${JSON.stringify(report.flood.byStatus)}, ${report.flood.serverErrors} 5xx, ${report.flood.closedWithoutAnswer} closed without answer; ${slowMs.length} slow connections closed after p50 ${report.flood.slowClosedP50Ms} ms, max ${report.flood.slowClosedMaxMs} ms`,
        );
        console.log(
          `load average before ${report.loadAverage.before.join(" ")}, after ${report.loadAverage.after.join(" ")} (${report.cores} cores)`,
        );
        for (const f of underFlood.failures) console.log(`  failure under flood: ${f}`);
      }
    } finally {
      await relay.close();
      await registrar.close();
    }
  } finally {
    await live.stop();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
