/**
 * Relay benchmark (`npm run bench:relay`): a local Hardhat node with a real
 * election (key ceremony on chain, registrar keys), the relay as its own
 * process (`ballot-ledger relay serve`), and autocannon posting pre-made valid
 * ballots (each a distinct voter with a real credential). Prints accepted
 * ballots per second, p50/p99 latency, and the time until all are on chain.
 *
 *   npm run bench:relay                       human-readable report
 *   npm run bench:relay -- --json             one JSON object on stdout (acceptedPerSecond, p99Ms, ...)
 *   options: --ballots N (1200) --connections N (32) --chain-check index|view --threads N
 *            --durability full|normal --profile DIR (CPU profiles of the relay process)
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import path from "node:path";
import autocannon from "autocannon";
import { electionAbi } from "../../server/chain/generated/abis";
import { startLiveElection } from "../../test/services/live-election";
import { tempDir } from "../../test/services/harness";
import { cpuSeconds } from "./proc";
import { makeBallotsOnWorkers } from "./relay-ballot-maker";

const args = process.argv.slice(2);
const json = args.includes("--json");
const option = (name: string, fallback: string) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 && i + 1 < args.length ? args[i + 1] : fallback;
};
const BALLOTS = Number(option("ballots", "1200"));
const WARMUP = 40;
const CONNECTIONS = Number(option("connections", "32"));
const CHAIN_CHECK = option("chain-check", "index");
const THREADS = option("threads", "");
const DURABILITY = option("durability", "full");
/** --profile DIR: write V8 CPU profiles of the relay process (main thread and workers) into DIR. */
const PROFILE = option("profile", "");
const progress = (line: string) => process.stderr.write(`• ${line}\n`);
const projectRoot = path.resolve(__dirname, "..", "..");

/** The pid of the Hardhat node listening on `port` (found through /proc), or null. */
function nodePid(port: string): number | null {
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^[0-9]+$/.test(entry)) continue;
    try {
      const argv = fs.readFileSync(`/proc/${entry}/cmdline`, "utf8").split("\0");
      if (argv.some((a) => a.includes("hardhat")) && argv.includes("node") && argv.includes(port))
        return Number(entry);
    } catch {
      // the process ended meanwhile
    }
  }
  return null;
}

/** Busy and total CPU ticks of the machine. */
function machineTicks(): { busy: number; total: number } {
  const [, ...values] = fs.readFileSync("/proc/stat", "utf8").split("\n")[0].trim().split(/\s+/);
  const ticks = values.map(Number);
  const idle = ticks[3] + (ticks[4] ?? 0);
  const total = ticks.reduce((a, b) => a + b, 0);
  return { busy: total - idle, total };
}

async function main() {
  progress("starting a Hardhat node and a live election (key ceremony on chain)");
  const live = await startLiveElection({ relays: 1 });
  const dir = tempDir("bench-relay");
  let relay: ReturnType<typeof spawn> | null = null;
  try {
    const started = Date.now();
    progress(
      `making ${BALLOTS + WARMUP} valid ballots (a voter and a blind-signed credential each) on ${availableParallelism()} threads`,
    );
    const pem = live.registrarKeys.get(0)!.privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const bodies = await makeBallotsOnWorkers(
      { context: live.context, registrarPem: pem, options: 5 },
      BALLOTS + WARMUP,
    );
    progress(
      `ballots made in ${((Date.now() - started) / 1000).toFixed(1)} s (${bodies[0].length} bytes of JSON each)`,
    );

    fs.writeFileSync(path.join(dir, "relay.key"), `${live.relayAccountKeys[0]}\n`, { mode: 0o600 });
    const config = path.join(dir, "relay.json");
    fs.writeFileSync(
      config,
      JSON.stringify({
        rpcUrl: live.node.rpcUrl,
        election: live.election,
        accountKeyFile: "relay.key",
        queueFile: "relay.sqlite",
        chainCheck: CHAIN_CHECK,
        durability: DURABILITY,
        maxBatch: 100,
        maxWaitMs: 200,
        ...(THREADS ? { verifierThreads: Number(THREADS) } : {}),
        rateLimit: { windowMs: 60_000, limit: 1_000_000 },
        logLevel: "warn",
      }),
    );
    const child = spawn(
      process.execPath,
      [
        ...(PROFILE ? ["--cpu-prof", `--cpu-prof-dir=${PROFILE}`] : []),
        "--require",
        require.resolve("tsx/cjs"),
        path.join(projectRoot, "server/cli/main.ts"),
        "relay",
        "serve",
        "--config",
        config,
      ],
      { cwd: projectRoot, stdio: ["ignore", "pipe", "inherit"] },
    );
    relay = child;
    const url = await new Promise<string>((resolve, reject) => {
      let out = "";
      child.stdout!.on("data", (chunk: Buffer) => {
        out += chunk.toString();
        const line = out.split("\n").find((l) => l.includes('"ready":true'));
        if (line) resolve(JSON.parse(line).url);
      });
      child.once("exit", (code) => reject(new Error(`relay exited with ${code}`)));
    });
    progress(
      `relay at ${url} (chain check: ${CHAIN_CHECK}, durability: ${DURABILITY}); warming up with ${WARMUP} ballots`,
    );
    for (const body of bodies.slice(0, WARMUP)) {
      const response = await fetch(`${url}/v1/ballots`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body,
      });
      if (response.status !== 202) throw new Error(`warm-up ballot refused: ${await response.text()}`);
    }
    const queueEmpty = async () => {
      const health = (await (await fetch(`${url}/health`)).json()) as { queue: Record<string, number> };
      return health.queue.queued === 0 && health.queue.sent === 0;
    };
    while (!(await queueEmpty())) await new Promise((r) => setTimeout(r, 100));

    progress(`load: ${BALLOTS} ballots over ${CONNECTIONS} connections (autocannon)`);
    let next = WARMUP;
    const hardhatPid = nodePid(new URL(live.node.rpcUrl).port);
    const nodeCpu0 = hardhatPid === null ? NaN : cpuSeconds(hardhatPid);
    const relayCpu0 = cpuSeconds(child.pid!);
    const selfCpu0 = process.cpuUsage();
    const machine0 = machineTicks();
    const loadStart = Date.now();
    const result = await autocannon({
      url: `${url}/v1/ballots`,
      method: "POST",
      connections: CONNECTIONS,
      amount: BALLOTS,
      timeout: 30,
      headers: { "content-type": "application/json" },
      requests: [{ setupRequest: (request) => ({ ...request, body: bodies[next++] }) }],
    });
    const loadEnd = Date.now();
    const relayCpu1 = cpuSeconds(child.pid!);
    const nodeCpu1 = hardhatPid === null ? NaN : cpuSeconds(hardhatPid);
    const selfCpu1 = process.cpuUsage(selfCpu0);
    const machine1 = machineTicks();
    while (!(await queueEmpty())) await new Promise((r) => setTimeout(r, 50));
    const allOnChain = Date.now();
    const ballotCount = await live.client.readContract({
      address: live.election,
      abi: electionAbi,
      functionName: "ballotCount",
    });

    const accepted = result.statusCodeStats?.["202"]?.count ?? 0;
    const seconds = (loadEnd - loadStart) / 1000;
    const report = {
      ballots: BALLOTS,
      connections: CONNECTIONS,
      chainCheck: CHAIN_CHECK,
      durability: DURABILITY,
      cores: availableParallelism(),
      /** The machine's load average (1, 5, 15 min) at the end of the load: other work shares the cores. */
      loadAverage: loadavg().map((x) => Math.round(x * 100) / 100),
      accepted,
      refused: result.non2xx,
      errors: result.errors,
      acceptedPerSecond: Math.round((accepted / seconds) * 10) / 10,
      p50Ms: result.latency.p50,
      p90Ms: result.latency.p90,
      p99Ms: result.latency.p99,
      maxMs: result.latency.max,
      loadSeconds: seconds,
      timeUntilAllOnChainMs: allOnChain - loadStart,
      drainAfterLoadMs: allOnChain - loadEnd,
      onChain: Number(ballotCount) - WARMUP,
      cpu: {
        machineBusy:
          Math.round(((machine1.busy - machine0.busy) / (machine1.total - machine0.total)) * 1000) / 1000,
        relayProcessCores: Math.round(((relayCpu1 - relayCpu0) / seconds) * 100) / 100,
        hardhatNodeCores: Math.round(((nodeCpu1 - nodeCpu0) / seconds) * 100) / 100,
        relayCpuMsPerBallot: Math.round(((relayCpu1 - relayCpu0) / accepted) * 10_000) / 10,
        hardhatCpuMsPerBallot: Math.round(((nodeCpu1 - nodeCpu0) / accepted) * 10_000) / 10,
        loadGeneratorCores: Math.round(((selfCpu1.user + selfCpu1.system) / 1e6 / seconds) * 100) / 100,
      },
    };
    if (json) console.log(JSON.stringify(report));
    else {
      console.log(
        `relay benchmark: ${BALLOTS} valid ballots, ${CONNECTIONS} connections, ${report.cores} cores, load average ${report.loadAverage.join(", ")}`,
      );
      console.log(`accepted        ${accepted} (${report.refused} refused, ${report.errors} errors)`);
      console.log(`throughput      ${report.acceptedPerSecond} accepted ballots/s`);
      console.log(
        `latency         p50 ${report.p50Ms} ms, p90 ${report.p90Ms} ms, p99 ${report.p99Ms} ms, max ${report.maxMs} ms`,
      );
      console.log(
        `on chain        all ${report.onChain} after ${report.timeUntilAllOnChainMs} ms (${report.drainAfterLoadMs} ms after the load)`,
      );
      console.log(
        `cpu             machine ${(report.cpu.machineBusy * 100).toFixed(0)}% busy; relay process ${report.cpu.relayProcessCores} cores, Hardhat node ${report.cpu.hardhatNodeCores}, load generator ${report.cpu.loadGeneratorCores}; per ballot: relay ${report.cpu.relayCpuMsPerBallot} ms, node ${report.cpu.hardhatCpuMsPerBallot} ms of CPU`,
      );
    }
  } finally {
    if (relay !== null && relay.exitCode === null) {
      relay.kill("SIGTERM");
      await new Promise((r) => relay!.once("exit", r));
    }
    await live.stop();
  }
}

main().catch((error) => {
  console.error(`bench:relay: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
