/**
 * Observer catch-up benchmark: an election on the embedded Hardhat node with
 * many recorded ballots (re-votes included), then a fresh observer follows it
 * from the creation block to the head: eth_getLogs by range, the castBallots
 * calldata, its SQLite index, every ballot checked (signature, credential,
 * proofs) on the verifier pool, then the whole verification over the index;
 * then, for reference, the verifier pool alone (already started) checks the
 * same ballots: the catch-up rate is given as a fraction of that rate, and
 * the CPU time per ballot of both (the machine may be shared).
 *
 *   npx tsx scripts/bench/observer.ts [--ballots N] [--voters V] [--threads T]
 *   npx tsx scripts/bench/observer.ts --json     one JSON object on stdout, nothing else
 *   ... --audit    also `audit verify` (its own process) on the election's exported record
 *
 * Defaults: 2,000 ballots from 200 voters (10 each), every core.
 */
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { writeRecordFolder } from "../../server/audit/record-files";
import { castBallots } from "../../server/chain/deploy";
import { readElectionRecord } from "../../server/chain/election-reader";
import { startLocalNode } from "../../server/chain/local-node";
import { Observer } from "../../server/observer/observer";
import { hexToBytes } from "../../server/protocol/primitives/bytes";
import { electionRulesOf } from "../../server/verification/rules";
import { VerifierPool } from "../../server/verifier/pool";
import type { BallotChoices } from "../../server/protocol/ballot";
import type { ElectionRecord } from "../../server/protocol/record";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import type { SignedBallot } from "../../server/chain/deploy";
import {
  advanceTimeTo,
  newMaterial,
  OPENS_AT,
  prepareElection,
  signedBallotFor,
  type VoterSpec,
} from "../../test/observer/election-fixture";

const json = process.argv.includes("--json");
const log = (line: string) => {
  if (!json) console.error(`• ${line}`);
};

function numberOption(name: string, fallback: number): number {
  const at = process.argv.indexOf(name);
  if (at < 0) return fallback;
  const value = Number(process.argv[at + 1]);
  if (!Number.isSafeInteger(value) || value < 0) throw new Error(`${name} needs a non-negative integer`);
  return value;
}

const PARTIES = ["blue", "green", "red"];
const COUNCIL = [[], ["ada"], ["bob", "cyd"], ["cyd"]];

function choicesOf(voter: VoterSpec, k: number): BallotChoices {
  const party = [PARTIES[k % 3]];
  return voter.style === 0 ? { "party-list": party, council: COUNCIL[k % 4] } : { "party-list": party };
}

async function main() {
  const ballots = numberOption("--ballots", 2_000);
  const voterCount = Math.max(1, Math.min(numberOption("--voters", 200), ballots));
  const threads = numberOption("--threads", availableParallelism());
  await initCrypto();
  const node = await startLocalNode({ kind: "hardhat" });
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "observer-bench-"));
  try {
    const material = newMaterial();
    const voters: VoterSpec[] = Array.from({ length: voterCount }, (_, i) => ({
      name: `bench-${i}`,
      style: i % 2,
      issued: true,
    }));
    log(`setting up the election and journaling ${voterCount} issuances`);
    const prepared = await prepareElection(node, material, voters);
    await advanceTimeTo(prepared.client, OPENS_AT);
    log(`encrypting and casting ${ballots} ballots`);
    const castStarted = performance.now();
    let batch: SignedBallot[] = [];
    let ballotBytes = 0;
    for (let k = 0; k < ballots; k++) {
      const voter = voters[k % voterCount];
      const sequence = Math.floor(k / voterCount) + 1;
      const made = await signedBallotFor(prepared, material, voter, choicesOf(voter, k), sequence);
      ballotBytes += made.bytes.length;
      batch.push(made.signed);
      if (batch.length === 200 || k === ballots - 1) {
        const outcome = await castBallots(prepared.relay, prepared.client, prepared.election, batch);
        if (outcome.rejected.length > 0)
          throw new Error(`the contract refused ${outcome.rejected.length} ballots`);
        batch = [];
      }
    }
    const castSeconds = (performance.now() - castStarted) / 1000;

    log(`a fresh observer catches up (${threads} verifier threads)`);
    const started = performance.now();
    const cpuStarted = process.cpuUsage();
    const loopStarted = performance.eventLoopUtilization();
    const observer = await Observer.open({
      endpoint: prepared.endpoint,
      election: prepared.election,
      dataDir,
      threads,
      logger: pino({ level: "silent" }),
    });
    const progress = await observer.sync();
    const synced = performance.now();
    const catchUpCpu = process.cpuUsage(cpuStarted);
    const catchUpLoop = performance.eventLoopUtilization(loopStarted);
    const verification = observer.verify(true);
    const verified = performance.now();
    const recorded = observer.store.recordBallots();
    const rules = electionRulesOf(observer.store.header());
    await observer.close();
    if (rules === null) throw new Error("the election has no rules");

    // The reference: the verifier pool alone on the same ballots, started beforehand.
    log(`the verifier pool alone checks the same ${recorded.length} ballots`);
    const pool = await VerifierPool.create(rules, { threads });
    const signed = recorded.map((ballot) => ({
      ballot: hexToBytes(ballot.ballot),
      sequence: BigInt(ballot.sequence),
      signature: ballot.signature,
    }));
    await pool.checkMany(signed.slice(0, 64)); // warm-up
    const poolStarted = performance.now();
    const poolCpuStarted = process.cpuUsage();
    const checks = await pool.checkMany(signed);
    const poolSeconds = (performance.now() - poolStarted) / 1000;
    const poolCpu = process.cpuUsage(poolCpuStarted);
    await pool.close();
    if (checks.some((check) => !check.ok)) throw new Error("a ballot failed the pool's check");
    const report = verification.report;
    if (report.ballots.recorded !== ballots || !report.holds)
      throw new Error(`unexpected report: ${JSON.stringify(report.ballots)} holds=${report.holds}`);

    const catchUpSeconds = (synced - started) / 1000;
    const result = {
      ballots,
      voters: voterCount,
      averageBallotBytes: Math.round(ballotBytes / ballots),
      threads,
      cores: availableParallelism(),
      /** The machine's load average (1, 5, 15 min) at the end: other work shares the cores. */
      loadAverage: os.loadavg().map((x) => Math.round(x * 100) / 100),
      blocks: Number(progress.lastBlock),
      catchUpSeconds: round(catchUpSeconds),
      indexSeconds: round(progress.indexSeconds),
      checkSeconds: round(progress.checkSeconds),
      verifySeconds: round((verified - synced) / 1000),
      ballotsPerSecond: Math.round(ballots / catchUpSeconds),
      verifierStartSeconds: round(progress.verifierStartSeconds),
      /** Ballots over the seconds of checking (beside the indexing), start-up excluded. */
      checkedPerSecond: Math.round(ballots / (progress.checkSeconds - progress.verifierStartSeconds)),
      /** The verifier pool alone (already started) on the same ballots: the rate to approach. */
      poolCheckedPerSecond: Math.round(ballots / poolSeconds),
      /** Catch-up rate over the pool's. */
      ofPoolRate: Math.round((100 * ballots) / catchUpSeconds / (ballots / poolSeconds)) / 100,
      /** CPU of this process (main thread and verifier threads; the node is another process) per ballot. */
      catchUpCpuMsPerBallot: round((catchUpCpu.user + catchUpCpu.system) / 1000 / ballots),
      poolCpuMsPerBallot: round((poolCpu.user + poolCpu.system) / 1000 / ballots),
      /** Of the catch-up: the main thread's busy time (event loop utilisation) per ballot. */
      mainThreadMsPerBallot: round(catchUpLoop.active / ballots),
      indexedPerSecond: Math.round(ballots / progress.indexSeconds),
      counted: report.ballots.counted,
      superseded: report.ballots.superseded,
      setupCastSeconds: round(castSeconds),
    };
    const audit = process.argv.includes("--audit")
      ? auditVerify(await readElectionRecord(prepared.client, prepared.election))
      : null;
    if (json) console.log(JSON.stringify(audit === null ? result : { ...result, audit }));
    else {
      console.log(
        `observer catch-up: ${ballots} ballots (${voterCount} voters, ${result.averageBallotBytes} bytes each), load average ${result.loadAverage.join(", ")}`,
      );
      console.log(
        `  total      ${result.catchUpSeconds} s  -> ${result.ballotsPerSecond} ballots/s indexed and checked`,
      );
      console.log(
        `  indexing   ${result.indexSeconds} s  (${result.indexedPerSecond} ballots/s: logs, calldata, SQLite)`,
      );
      console.log(
        `  checking   ${result.checkSeconds} s  (${result.checkedPerSecond} ballots/s on ${threads} threads, after ${result.verifierStartSeconds} s to start them)`,
      );
      console.log(`  verifying  ${result.verifySeconds} s  (counting rules, running hash, issuance, tally)`);
      console.log(
        `  CPU        ${result.catchUpCpuMsPerBallot} ms per ballot caught up (main thread busy ${result.mainThreadMsPerBallot} ms); the pool alone ${result.poolCpuMsPerBallot} ms`,
      );
      console.log(
        `  pool alone ${result.poolCheckedPerSecond} ballots/s (already started): catch-up at ${Math.round(result.ofPoolRate * 100)}% of it`,
      );
      console.log(`  counted ${result.counted}, superseded ${result.superseded}`);
      if (audit !== null)
        console.log(
          `audit verify of its export (${audit.recordMegabytes} MB): ${audit.seconds} s -> ${audit.ballotsPerSecond} ballots/s` +
            (audit.cpuMsPerBallot === null
              ? ""
              : `, ${audit.cpuMsPerBallot} ms CPU per ballot, peak RSS ${audit.peakRssMegabytes} MB`),
        );
    }
  } finally {
    await node.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (seconds: number) => Math.round(seconds * 100) / 100;

/**
 * `ballot-ledger audit verify` (a process of its own) on the election's
 * exported record: its time, and when /usr/bin/time is there its CPU and peak RSS.
 */
function auditVerify(record: ElectionRecord) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "observer-bench-record-"));
  try {
    writeRecordFolder(dir, record);
    const bytes = fs.readdirSync(dir).reduce((n, f) => n + fs.statSync(path.join(dir, f)).size, 0);
    const cli = [
      path.join(__dirname, "..", "..", "bin", "ballot-ledger.cjs"),
      "audit",
      "verify",
      dir,
      "--json",
    ];
    const timed = fs.existsSync("/usr/bin/time");
    log(`audit verify of the exported record (${record.ballots.length} ballots)`);
    const started = performance.now();
    const run = timed
      ? spawnSync("/usr/bin/time", ["-f", "%U %S %M", process.execPath, ...cli], { encoding: "utf8" })
      : spawnSync(process.execPath, cli, { encoding: "utf8" });
    const seconds = (performance.now() - started) / 1000;
    if (run.status !== 0)
      throw new Error(`audit verify exited with ${run.status}: ${run.stderr.slice(-500)}`);
    const usage = timed ? run.stderr.trim().split("\n").at(-1)!.split(" ").map(Number) : null;
    return {
      recordMegabytes: round(bytes / 1e6),
      seconds: round(seconds),
      ballotsPerSecond: Math.round(record.ballots.length / seconds),
      cpuMsPerBallot: usage === null ? null : round(((usage[0] + usage[1]) * 1000) / record.ballots.length),
      peakRssMegabytes: usage === null ? null : Math.round(usage[2] / 1024),
    };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(`observer bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
