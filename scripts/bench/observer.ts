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
 *
 * Defaults: 2,000 ballots from 200 voters (10 each), every core.
 */
import fs from "node:fs";
import { availableParallelism } from "node:os";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import { castBallots } from "../../server/chain/deploy";
import { startLocalNode } from "../../server/chain/local-node";
import { Observer } from "../../server/observer/observer";
import { hexToBytes } from "../../server/protocol/primitives/bytes";
import { electionRulesOf } from "../../server/verification/rules";
import { VerifierPool } from "../../server/verifier/pool";
import type { BallotChoices } from "../../server/protocol/ballot";
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
      indexedPerSecond: Math.round(ballots / progress.indexSeconds),
      counted: report.ballots.counted,
      superseded: report.ballots.superseded,
      setupCastSeconds: round(castSeconds),
    };
    if (json) console.log(JSON.stringify(result));
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
        `  CPU        ${result.catchUpCpuMsPerBallot} ms per ballot caught up; the pool alone ${result.poolCpuMsPerBallot} ms`,
      );
      console.log(
        `  pool alone ${result.poolCheckedPerSecond} ballots/s (already started): catch-up at ${Math.round(result.ofPoolRate * 100)}% of it`,
      );
      console.log(`  counted ${result.counted}, superseded ${result.superseded}`);
    }
  } finally {
    await node.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

const round = (seconds: number) => Math.round(seconds * 100) / 100;

main().catch((error) => {
  console.error(`observer bench: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
