import type { Hex } from "viem";
import { signedBallotOfRecord, type LoadedElection } from "../chain/election-reader";
import { ballotHash } from "../protocol/ballot";
import { checkSignedBallot, type BallotCheck } from "../protocol/ballot-check";
import type { ElectionContext } from "../protocol/context";
import { applyCountingRules, type BallotVerdict } from "../protocol/counting";
import { hexToBytes, toHex } from "../protocol/primitives/bytes";
import { nextRunningHash, ZERO_RUNNING_HASH } from "../protocol/running-hash";
import { aggregateBallots, aggregateHash, type Aggregate } from "../protocol/tally";
import { VerifierPool } from "../verifier/pool";
import { StepRefusal, silent, type Progress } from "./errors";

/**
 * The aggregate of the recorded ballots, computed the way every trustee, the
 * commission and every observer computes it: take every ballot the contract
 * recorded (checked against the contract's ballot count and running hash),
 * check each (signature, credential, proofs) on worker threads, apply the
 * counting rules (last valid ballot per nullifier), add up the counted ones.
 * Nothing from outside the chain enters it.
 */
export interface RecordedTally {
  context: ElectionContext;
  aggregate: Aggregate;
  aggregateHash: Hex;
  recorded: number;
  counted: number;
  superseded: number;
  excluded: { index: number; code: string; reason: string }[];
  verdicts: BallotVerdict[];
}

export interface RecordedTallyOptions {
  /**
   * Worker threads for the ballot checks: 0 checks in this thread; default: every core when there
   * are enough ballots to pay for starting the workers, else this thread.
   */
  threads?: number;
  progress?: Progress;
}

/** Below this many ballots the checks run in this thread (starting workers costs more). */
const POOL_THRESHOLD = 64;
const CHECK_CHUNK = 2_000;

/** The record's ballots must be exactly those the contract chained into its running hash. */
export function checkRecordedBallotChain(loaded: LoadedElection): void {
  const { record } = loaded;
  if (record.ballots.length !== record.ballotCount)
    throw new StepRefusal(
      "inconsistent-record",
      `read ${record.ballots.length} ballots but the contract counts ${record.ballotCount}`,
      "verification-failed",
    );
  let running: Hex = ZERO_RUNNING_HASH;
  for (const ballot of record.ballots) {
    const hash = toHex(ballotHash(hexToBytes(ballot.ballot)));
    if (hash !== ballot.ballotHash.toLowerCase())
      throw new StepRefusal(
        "inconsistent-record",
        `ballot ${ballot.index}: its bytes do not hash to the recorded ballot hash`,
        "verification-failed",
      );
    running = nextRunningHash(running, ballot.nullifier, BigInt(ballot.sequence), ballot.ballotHash);
    if (running !== ballot.runningHash.toLowerCase())
      throw new StepRefusal(
        "inconsistent-record",
        `ballot ${ballot.index}: the running hash does not chain`,
        "verification-failed",
      );
  }
  if (running !== record.runningHash.toLowerCase())
    throw new StepRefusal(
      "inconsistent-record",
      "the ballots read do not end at the contract's running hash",
      "verification-failed",
    );
}

async function checkAll(
  loaded: LoadedElection,
  context: ElectionContext,
  options: RecordedTallyOptions,
): Promise<BallotCheck[]> {
  const progress = options.progress ?? silent;
  const signed = loaded.record.ballots.map(signedBallotOfRecord);
  const rules = { context, registrarKeys: loaded.registrarKeys };
  const inThread = options.threads === undefined ? signed.length < POOL_THRESHOLD : options.threads === 0;
  if (inThread) {
    const checks: BallotCheck[] = [];
    for (const ballot of signed) checks.push(await checkSignedBallot(rules, ballot));
    return checks;
  }
  const pool = await VerifierPool.create(rules, { threads: options.threads });
  try {
    progress(`checking ${signed.length} ballots on ${pool.threads} worker threads`);
    const checks: BallotCheck[] = [];
    const started = Date.now();
    for (let start = 0; start < signed.length; start += CHECK_CHUNK) {
      checks.push(...(await pool.checkMany(signed.slice(start, start + CHECK_CHUNK))));
      const seconds = (Date.now() - started) / 1000;
      progress(
        `checked ${checks.length}/${signed.length} ballots (${Math.round(checks.length / Math.max(seconds, 0.001))}/s)`,
      );
    }
    return checks;
  } finally {
    await pool.close();
  }
}

export async function tallyRecordedBallots(
  loaded: LoadedElection,
  options: RecordedTallyOptions = {},
): Promise<RecordedTally> {
  const progress = options.progress ?? silent;
  const { context, record } = loaded;
  if (context === null)
    throw new StepRefusal("wrong-phase", "the election has no joint key yet: there is nothing to tally");
  checkRecordedBallotChain(loaded);
  progress(`read ${record.ballots.length} recorded ballots; the running hash matches the contract`);
  const checks = await checkAll(loaded, context, options);
  const outcome = applyCountingRules(
    record.ballots.map((ballot, i) => ({
      index: ballot.index,
      nullifier: ballot.nullifier,
      check: checks[i],
    })),
  );
  const aggregate = aggregateBallots(
    context,
    outcome.counted.map((c) => c.ballot),
  );
  const excluded = outcome.verdicts.flatMap((v) =>
    v.status === "excluded" ? [{ index: v.index, code: v.code, reason: v.reason }] : [],
  );
  const superseded = outcome.verdicts.filter((v) => v.status === "superseded").length;
  progress(
    `counted ${outcome.counted.length} ballots (${superseded} superseded by a re-vote, ${excluded.length} excluded)`,
  );
  return {
    context,
    aggregate,
    aggregateHash: toHex(aggregateHash(context, aggregate)),
    recorded: record.ballots.length,
    counted: outcome.counted.length,
    superseded,
    excluded,
    verdicts: outcome.verdicts,
  };
}
