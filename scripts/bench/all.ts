/**
 * Every benchmark in one run (`npm run bench`): gas, crypto, relay, observer
 * and whole elections at several electorate sizes. Each part runs in its own
 * process with `--json`; this script collects the figures into one table,
 * printed as markdown and written to out/bench/latest.{md,json}.
 *
 *   npm run bench                                 all parts, elections of 1k, 10k and 100k voters
 *   npm run bench -- --elections 1000,10000       other electorate sizes
 *   npm run bench -- --skip elections             leave out a part (gas, crypto, relay, observer, elections)
 *   npm run bench -- --json                       only the JSON object on stdout
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
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
const progress = (line: string) => console.error(`• ${line}`);

/** Runs one part with --json; its stderr (progress) is passed through, its stdout parsed. */
function runPart(script: string, args: string[] = []): Promise<Record<string, unknown>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [require.resolve("tsx/cli"), script, "--json", ...args], {
      cwd: root,
      stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code !== 0) return reject(new Error(`${script} exited with code ${code}`));
      try {
        resolve(JSON.parse(out.trim().split("\n").pop() ?? ""));
      } catch {
        reject(new Error(`${script} printed no JSON object on stdout`));
      }
    });
  });
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
    results[name] = await runPart(script, args);
  }
  if (!skipped.has("elections")) {
    const elections: Record<string, unknown> = {};
    for (const voters of electorates) {
      progress(`bench: whole election with ${voters.toLocaleString("en")} voters`);
      const t0 = Date.now();
      const summary = await runPart("scripts/election.ts", ["--voters", String(voters)]);
      elections[voters] = {
        wallSeconds: (Date.now() - t0) / 1000,
        timings: summary.timings,
        ballots: summary.ballots,
      };
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

  const markdown = [
    `# ballot-ledger benchmark, ${results.date}`,
    "",
    "| figure | value | unit |",
    "|---|---:|---|",
    ...rows.map(([name, value, unit]) => `| ${name} | ${value} | ${unit} |`),
    "",
    `Total benchmark time: ${((Date.now() - started) / 1000).toFixed(0)} s.`,
    "",
  ].join("\n");
  const dir = path.join(root, "out", "bench");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "latest.md"), markdown);
  fs.writeFileSync(path.join(dir, "latest.json"), `${JSON.stringify(results, null, 2)}\n`);
  if (json) console.log(JSON.stringify(results));
  else console.log(`${markdown}\nwritten to ${path.relative(root, dir)}/latest.{md,json}`);
}

main().catch((error: unknown) => {
  console.error(`bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
