import type { BallotCheck, SignedBallot } from "../protocol/ballot-check";
import { ballotHash } from "../protocol/ballot";
import { hexToBytes, toHex } from "../protocol/primitives/bytes";
import type { ElectionRecord, RecordBallot } from "../protocol/record";
import { ZERO_RUNNING_HASH } from "../protocol/running-hash";
import { VerifierPool } from "../verifier/pool";
import { directChecker, inspectBallots, type BallotChecker, type BallotInspection } from "./inspection";
import {
  countByReason,
  electionRulesOf,
  summarizeIssuances,
  verifyElection,
  type ElectionRules,
  type LedgerBallot,
  type RecordHeader,
  type Verification,
} from "./verification";

/**
 * `audit verify`: the whole verification of an exported record, offline. The
 * ballots are checked on every core (VerifierPool) when there are many, then
 * verifyElection runs exactly as in the observer.
 */
export interface RecordVerificationOptions {
  /** Worker threads for the ballot checks; 0 checks in this thread. Default: every core for 64+ ballots. */
  threads?: number;
}

export function headerOf(record: ElectionRecord): RecordHeader {
  const { ballots: _ballots, issuances: _issuances, rejections: _rejections, ...header } = record;
  return header;
}

export function ledgerBallotOf(ballot: RecordBallot, inspection: BallotInspection): LedgerBallot {
  return {
    index: ballot.index,
    nullifier: ballot.nullifier,
    sequence: ballot.sequence,
    ballotHash: ballot.ballotHash,
    runningHash: ballot.runningHash,
    timestamp: ballot.timestamp,
    inspection,
  };
}

/** A checker for records without a usable context: every ballot fails, with the reason. */
export const noContextChecker: BallotChecker = {
  checkMany: async (ballots: readonly SignedBallot[]) =>
    ballots.map((signed): BallotCheck => ({
      ok: false,
      code: "malformed-ballot",
      reason: "no valid joint key and manifest to check the ballot against",
      ballotHash: toHex(ballotHash(signed.ballot)),
    })),
};

/** Runs `use` with a ballot checker for these rules: the verifier pool for many ballots, else in-process. */
export async function withChecker<T>(
  rules: ElectionRules | null,
  ballotCount: number,
  options: RecordVerificationOptions,
  use: (checker: BallotChecker) => Promise<T>,
): Promise<T> {
  if (rules === null) return use(noContextChecker);
  const threads = options.threads ?? (ballotCount >= 64 ? undefined : 0);
  if (threads === 0) return use(directChecker(rules));
  const pool = await VerifierPool.create(
    { context: rules.context, registrarKeys: rules.registrarKeys },
    threads === undefined ? {} : { threads },
  );
  try {
    return await use(pool);
  } finally {
    await pool.close();
  }
}

export async function verifyElectionRecord(
  record: ElectionRecord,
  options: RecordVerificationOptions = {},
): Promise<Verification> {
  const header = headerOf(record);
  const rules = electionRulesOf(header);
  const inspections = await withChecker(rules, record.ballots.length, options, (checker) =>
    inspectBallots(checker, record.ballots, ZERO_RUNNING_HASH),
  );
  const ballots = record.ballots.map((ballot, i) => ledgerBallotOf(ballot, inspections[i]));
  const byIndex = new Map(record.ballots.map((ballot) => [ballot.index, ballot]));
  return verifyElection(
    {
      header,
      ballots,
      issuance: summarizeIssuances(record.issuances),
      rejectedByContract: countByReason(record.rejections),
      ballotBytes: (indices) => indices.map((i) => hexToBytes(byIndex.get(i)!.ballot)),
    },
    { computeTally: true },
  );
}
