/**
 * The observer stage of `npm run bench:record`, run as a process of its own so
 * that its peak RSS is the observer's: a fresh observer (server/observer, as
 * bench:observer runs it) catches up on the whole chain, then verifies it.
 * Prints one JSON object on stdout; writes the aggregate of the counted
 * ballots (encodeAggregate) to --aggregate-out, from which the bench's
 * trustees make their decryption shares.
 *
 *   npx tsx scripts/bench/record-observer.ts --rpc URL --chain-id N --election 0x.. --data-dir DIR
 *     --aggregate-out FILE --page-blocks B [--threads T]
 */
import fs from "node:fs";
import { availableParallelism } from "node:os";
import { performance } from "node:perf_hooks";
import pino from "pino";
import type { Address } from "viem";
import { Observer } from "../../server/observer/observer";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { encodeAggregate } from "../../server/protocol/tally";
import { cpuSeconds, peakRssMiB } from "./proc";

function option(name: string): string {
  const at = process.argv.indexOf(`--${name}`);
  if (at < 0 || process.argv[at + 1] === undefined) throw new Error(`--${name} is required`);
  return process.argv[at + 1];
}

async function main() {
  const threadsAt = process.argv.indexOf("--threads");
  const threads = threadsAt < 0 ? availableParallelism() : Number(process.argv[threadsAt + 1]);
  await initCrypto();
  const cpuStarted = cpuSeconds(process.pid);
  const started = performance.now();
  const observer = await Observer.open({
    endpoint: { rpcUrl: option("rpc"), chainId: Number(option("chain-id")) },
    election: option("election") as Address,
    dataDir: option("data-dir"),
    threads,
    pageSize: BigInt(option("page-blocks")),
    logger: pino({ level: "silent" }),
  });
  const progress = await observer.sync();
  const synced = performance.now();
  const verification = observer.verify(true);
  const verified = performance.now();
  await observer.close();
  const cpu = cpuSeconds(process.pid) - cpuStarted;
  if (verification.tally === null) throw new Error("the observer computed no tally");
  fs.writeFileSync(option("aggregate-out"), encodeAggregate(verification.tally.aggregate));
  const report = verification.report;
  console.log(
    JSON.stringify({
      threads,
      blocks: Number(progress.lastBlock),
      catchUpSeconds: (synced - started) / 1000,
      indexSeconds: progress.indexSeconds,
      checkSeconds: progress.checkSeconds,
      verifierStartSeconds: progress.verifierStartSeconds,
      verifySeconds: (verified - synced) / 1000,
      cpuSeconds: cpu,
      peakRssMiB: peakRssMiB(process.pid),
      verdict: report.verdict,
      holds: report.holds,
      stage: report.stage,
      ballots: report.ballots,
      findings: report.findings.slice(0, 5),
      aggregateHash: verification.tally.aggregateHash,
    }),
  );
}

main().catch((error: unknown) => {
  console.error(
    `record-observer: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(1);
});
