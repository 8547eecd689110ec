/**
 * Every benchmark in one run (`npm run bench`): gas, crypto, relay, observer
 * and whole elections at several electorate sizes. Each part runs in its own
 * process with `--json`; this script collects the figures into one table,
 * printed as markdown and written to out/bench/latest.{md,json}.
 *
 *   npm run bench                                 all parts, elections of 1k, 10k and 100k voters
 *   npm run bench -- --elections 1000,10000       other electorate sizes
 *   npm run bench -- --skip elections             leave out a part (gas, crypto, relay, observer, elections)
 *   npm run bench -- --node anvil                 the elections on anvil instead of Hardhat's node
 *   npm run bench -- --json                       only the JSON object on stdout
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const root = path.resolve(__dirname, "..", "..");
const argv = process.argv.slice(2);
const json = argv.includes("--json");
const valueOf = (flag: string): string | undefined => {
  const i = argv.indexOf(flag);
  return i >= 0 ? argv[i + 1] : undefined;
};
const skipped = new Set((valueOf("--skip") ?? "").split(",").filter(Boolean));
const electorates = (valueOf("--elections") ?? "1000,10000,100000").split(",").map((n) => Number(n));
if (electorates.some((n) => !Number.isInteger(n) || n < 1)) {
  console.error("bench: --elections takes a comma-separated list of positive integers");
  process.exit(2);
}
const electionNode = valueOf("--node") ?? "hardhat";
if (electionNode !== "hardhat" && electionNode !== "anvil") {
  console.error(`bench: --node is hardhat or anvil, not ${electionNode}`);
  process.exit(2);
}
const progress = (line: string) => console.error(`• ${line}`);

/** A process of a part: its command line (shortened) and its peak resident memory (VmHWM), MB. */
interface ProcessPeak {
  pid: number;
  command: string;
  peakRssMB: number;
}

/** Runs one part with --json; its stderr (progress) is passed through, its stdout parsed. */
function runPart(
  script: string,
  args: string[] = [],
): Promise<{ result: Record<string, unknown>; processes: ProcessPeak[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve("tsx/cli"), script, "--json", ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    const peaks = new Map<number, ProcessPeak>();
    const sample = () => child.pid !== undefined && samplePeaks(child.pid, peaks);
    const sampler = setInterval(sample, 1_000);
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      clearInterval(sampler);
      if (code !== 0) return reject(new Error(`${script} exited with code ${code}`));
      try {
        resolve({ result: JSON.parse(out.trim().split("\n").pop() ?? ""), processes: [...peaks.values()] });
      } catch {
        reject(new Error(`${script} printed no JSON object on stdout`));
      }
    });
  });
}

/**
 * Every process under `rootPid` (the part, the tsx runner's child, the
 * chain node, any service process), with the high-water mark of its
 * resident memory (/proc/PID/status VmHWM: the peak since it started, so a
 * sample a second keeps each process's peak up to its last second). Linux
 * only: elsewhere nothing is recorded and the table says n/a.
 */
function samplePeaks(rootPid: number, peaks: Map<number, ProcessPeak>): void {
  let entries: string[];
  try {
    entries = fs.readdirSync("/proc").filter((name) => /^\d+$/.test(name));
  } catch {
    return;
  }
  const parentOf = new Map<number, number>();
  for (const name of entries) {
    try {
      const stat = fs.readFileSync(`/proc/${name}/stat`, "utf8");
      parentOf.set(Number(name), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // the process ended meanwhile
    }
  }
  const under = (pid: number): boolean => {
    for (let p: number | undefined = pid; p !== undefined && p > 1; p = parentOf.get(p))
      if (p === rootPid) return true;
    return false;
  };
  for (const pid of parentOf.keys()) {
    if (!under(pid)) continue;
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, "utf8"));
      const command = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0").filter(Boolean);
      if (hwm === null) continue;
      const peakRssMB = Math.round(Number(hwm[1]) / 1024);
      const known = peaks.get(pid);
      if (known === undefined) peaks.set(pid, { pid, command: describe(command), peakRssMB });
      else known.peakRssMB = Math.max(known.peakRssMB, peakRssMB);
    } catch {
      // the process ended meanwhile
    }
  }
}

/** A short name for a process of a part: the script or tool it runs. */
function describe(command: string[]): string {
  const script = command.find((arg) => /\.(ts|js|cjs)$/.test(arg) && !arg.includes("node_modules/tsx"));
  const base = script === undefined ? path.basename(command[0] ?? "?") : path.relative(root, script);
  if (base.endsWith("hardhat/internal/cli/cli.js")) return `hardhat ${command.slice(2, 3).join(" ")}`.trim();
  return base;
}

type Row = [string, string, string];
const fmt = (value: unknown, digits = 0): string =>
  typeof value === "number" ? value.toLocaleString("en", { maximumFractionDigits: digits }) : "n/a";
const get = (object: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>(
    (o, k) => (o !== null && typeof o === "object" ? (o as Record<string, unknown>)[k] : undefined),
    object,
  );

async function main() {
  const started = Date.now();
  const results: Record<string, unknown> = { date: new Date().toISOString() };
  const rows: Row[] = [];
  const parts: [string, string, string[]][] = [
    ["gas", "scripts/bench/gas.ts", []],
    ["crypto", "scripts/bench/crypto.ts", []],
    ["relay", "scripts/bench/relay.ts", []],
    ["observer", "scripts/bench/observer.ts", []],
  ];
  for (const [name, script, args] of parts) {
    if (skipped.has(name)) continue;
    progress(`bench: ${name}`);
    results[name] = (await runPart(script, args)).result;
  }
  if (!skipped.has("elections")) {
    const elections: Record<string, unknown> = {};
    for (const voters of electorates) {
      progress(`bench: whole election with ${voters.toLocaleString("en")} voters`);
      const t0 = Date.now();
      const load = os.loadavg();
      const { result: summary, processes } = await runPart("scripts/election.ts", [
        "--voters",
        String(voters),
        "--node",
        electionNode,
        // Each electorate's record, reports and logs apart (out/bench/election-N), not the main job's out/election.
        "--out",
        path.join("out", "bench", `election-${voters}`),
      ]);
      const timings = summary.timings as Record<string, number>;
      const ballots = summary.ballots as { cast: number; recorded: number };
      elections[voters] = {
        node: electionNode,
        wallSeconds: (Date.now() - t0) / 1000,
        loadAverage: { atStart: load.map(round2), atEnd: os.loadavg().map(round2) },
        timings,
        ballots,
        gasPerBallot: summary.gasPerBallot,
        ballotsPerSecond: {
          voting: round2(ballots.cast / timings.voting),
          wholeElection: round2(ballots.recorded / timings.totalSeconds),
        },
        votingBusySeconds: summary.votingBusySeconds,
        jobPeakRssMBByStage: summary.peakRssMB,
        // Only the processes that ran long enough to be sampled: the job, its chain node and anything they start.
        processes: processes.sort((a, b) => b.peakRssMB - a.peakRssMB),
        resultMatchesExpected: summary.resultMatchesExpected,
        audit: summary.audit,
      };
      // Written after each electorate, so that a long run stopped early keeps what it measured.
      writeOut("partial.json", `${JSON.stringify({ ...results, elections }, null, 2)}\n`);
    }
    results.elections = elections;
  }

  const gas = results.gas;
  for (const size of ["1", "10", "50"])
    rows.push([`gas per ballot, batch ${size}`, fmt(get(gas, "gasPerBallot", size)), "gas"]);
  const crypto = results.crypto;
  rows.push(["crypto backend", String(get(crypto, "backend") ?? "n/a"), ""]);
  for (const kind of ["reference", "larger"]) {
    rows.push([`${kind} ballot: encrypt`, fmt(get(crypto, kind, "encryptMs"), 2), "ms"]);
    rows.push([`${kind} ballot: verify`, fmt(get(crypto, kind, "verifyMs"), 2), "ms"]);
    rows.push([
      `${kind} ballot: verified per second, 1 core`,
      fmt(get(crypto, kind, "verifiedPerSecondOneCore")),
      "ballots/s",
    ]);
    rows.push([
      `${kind} ballot: verified per second, all cores`,
      fmt(get(crypto, kind, "verifiedPerSecondAllCores")),
      "ballots/s",
    ]);
  }
  rows.push([
    "10M-ballot tally: decrypt + recover",
    fmt(get(crypto, "tally10M", "decryptAndRecoverMs")),
    "ms",
  ]);
  rows.push(["relay: accepted per second", fmt(get(results.relay, "acceptedPerSecond")), "ballots/s"]);
  rows.push(["relay: p99 latency", fmt(get(results.relay, "p99Ms"), 1), "ms"]);
  rows.push(["observer: catch-up rate", fmt(get(results.observer, "ballotsPerSecond")), "ballots/s"]);
  for (const voters of electorates)
    rows.push([
      `whole election, ${voters.toLocaleString("en")} voters`,
      fmt(get(results.elections, String(voters), "wallSeconds"), 1),
      "s",
    ]);
  const electionTable = skipped.has("elections") ? [] : electionGrowthTable(results.elections);

  const shown = rows.filter(([name]) => {
    const part = name.startsWith("gas")
      ? "gas"
      : name.startsWith("relay")
        ? "relay"
        : name.startsWith("observer")
          ? "observer"
          : name.startsWith("whole election")
            ? "elections"
            : "crypto";
    return !skipped.has(part);
  });
  const markdown = [
    `# ballot-ledger benchmark, ${results.date}`,
    "",
    "| figure | value | unit |",
    "|---|---:|---|",
    ...shown.map(([name, value, unit]) => `| ${name} | ${value} | ${unit} |`),
    "",
    ...electionTable,
    `Total benchmark time: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    "",
  ].join("\n");
  writeOut("latest.md", markdown);
  writeOut("latest.json", `${JSON.stringify(results, null, 2)}\n`);
  if (json) console.log(JSON.stringify(results));
  else console.log(`${markdown}\nwritten to ${path.relative(root, dir)}/latest.{md,json}`);
}

const round2 = (x: number) => Math.round(x * 100) / 100;
const dir = path.join(root, "out", "bench");

function writeOut(file: string, text: string): void {
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, file), text);
}

/**
 * The whole elections side by side, one column per electorate, so that the
 * growth is visible: each stage's time, ballots per second, gas per ballot,
 * and the peak RSS of every process (the job holds the registrar, both
 * relays, both observers, the trustees and the simulated voters' threads;
 * the chain node is a process of its own).
 */
function electionGrowthTable(elections: unknown): string[] {
  const sizes = electorates.map(String);
  const cell = (voters: string, digits: number, ...keys: string[]) =>
    fmt(get(elections, voters, ...keys), digits);
  const stages = Object.keys((get(elections, sizes[0], "timings") as Record<string, number>) ?? {}).filter(
    (stage) => stage !== "totalSeconds",
  );
  const line = (name: string, unit: string, values: string[]) =>
    `| ${name} | ${unit} | ${values.join(" | ")} |`;
  const lines = [
    `| whole election | unit | ${sizes.map((n) => Number(n).toLocaleString("en") + " voters").join(" | ")} |`,
    `|---|---|${sizes.map(() => "---:").join("|")}|`,
    ...stages.map((stage) =>
      line(
        `stage: ${stage}`,
        "s",
        sizes.map((v) => cell(v, 1, "timings", stage)),
      ),
    ),
    line(
      "total",
      "s",
      sizes.map((v) => cell(v, 1, "timings", "totalSeconds")),
    ),
    line(
      "ballots cast",
      "",
      sizes.map((v) => cell(v, 0, "ballots", "cast")),
    ),
    line(
      "ballots per second, voting stage",
      "ballots/s",
      sizes.map((v) => cell(v, 1, "ballotsPerSecond", "voting")),
    ),
    line(
      "ballots per second, whole election",
      "ballots/s",
      sizes.map((v) => cell(v, 2, "ballotsPerSecond", "wholeElection")),
    ),
    line(
      "voting: busy time of the voter-device threads",
      "s",
      sizes.map((v) => {
        const busy = get(elections, v, "votingBusySeconds", "voterThreads");
        return Array.isArray(busy) ? busy.map((x: number) => fmt(x, 0)).join(" + ") : "n/a";
      }),
    ),
    line(
      "voting: busy time of the job's main thread (services)",
      "s",
      sizes.map((v) => cell(v, 0, "votingBusySeconds", "mainThread")),
    ),
    line(
      "gas per ballot",
      "gas",
      sizes.map((v) => cell(v, 0, "gasPerBallot", "average")),
    ),
    line(
      "ballots per castBallots transaction",
      "",
      sizes.map((v) => cell(v, 1, "gasPerBallot", "ballotsPerTransaction")),
    ),
  ];
  const processNames = [
    ...new Set(
      sizes.flatMap((v) =>
        ((get(elections, v, "processes") as ProcessPeak[] | undefined) ?? []).map((p) => p.command),
      ),
    ),
  ];
  for (const name of processNames)
    lines.push(
      line(
        `peak RSS: ${name}`,
        "MB",
        sizes.map((v) => {
          const peaks = ((get(elections, v, "processes") as ProcessPeak[] | undefined) ?? []).filter(
            (p) => p.command === name,
          );
          return peaks.length === 0 ? "n/a" : fmt(Math.max(...peaks.map((p) => p.peakRssMB)));
        }),
      ),
    );
  for (const stage of stages)
    lines.push(
      line(
        `job's peak RSS by the end of ${stage}`,
        "MB",
        sizes.map((v) => cell(v, 0, "jobPeakRssMBByStage", stage)),
      ),
    );
  lines.push(
    line(
      "load average (1 min) at start / end",
      "",
      sizes.map(
        (v) => `${cell(v, 1, "loadAverage", "atStart", "0")} / ${cell(v, 1, "loadAverage", "atEnd", "0")}`,
      ),
    ),
  );
  return [...lines, ""];
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
