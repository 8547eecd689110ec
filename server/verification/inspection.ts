import type { Hex } from "viem";
import { ballotHash, BALLOT_MAGIC } from "../protocol/ballot";
import {
  checkSignedBallot,
  type BallotCheck,
  type BallotCheckCode,
  type BallotRules,
  type SignedBallot,
} from "../protocol/ballot-check";
import type { Address } from "../protocol/context";
import { bytesEqual, hexToBytes, toHex } from "../protocol/primitives/bytes";
import type { RecordBallot } from "../protocol/record";
import { nextRunningHash } from "../protocol/running-hash";
import { VerifierPool } from "../verifier/pool";
import type { ElectionRules } from "./rules";

/**
 * The per-ballot half of the verification, the only expensive part: V5.2 to
 * V5.6 (checkSignedBallot: signature, encoding, credential, proofs; on every
 * core through the verifier pool), the ballot hash of the calldata bytes
 * (V5.1) and the running hash chained over the events (V4.4). The observer
 * inspects ballots as they arrive and keeps the outcome in its index; `audit
 * verify` and the trustees inspect a whole record. All then run the same
 * verifyElection (pipeline.ts) over the outcomes.
 */
export type InspectionCheck =
  | { ok: true; nullifier: Hex; votingAddress: Address }
  | { ok: false; code: BallotCheckCode; reason: string; nullifier?: Hex; votingAddress?: Address };

export interface BallotInspection {
  /** keccak256 of the ballot bytes from the calldata (V5.1 compares it with the event's ballotHash). */
  computedHash: Hex;
  /**
   * The running hash recomputed over the events (nullifier, sequence, ballotHash) of this and
   * every earlier ballot (protocol.md section 9; V4.4 compares it with each event's).
   */
  computedRunningHash: Hex;
  check: InspectionCheck;
  /** The ballot style (from the decoded ballot, or the header of undecodable bytes), null when unreadable. */
  styleIndex: number | null;
}

/**
 * What the inspection keeps of checkSignedBallot's outcome, and all the
 * verifier pool sends back for it (not the decoded ballot: copying its many
 * small arrays between threads cost the main thread more than the check).
 */
export interface CheckSummary {
  check: InspectionCheck;
  /** keccak256 of the ballot bytes (checkSignedBallot's ballotHash). */
  ballotHash: Hex;
  /** The ballot style (from the decoded ballot, or the header of undecodable bytes), null when unreadable. */
  styleIndex: number | null;
}

export function summarizeCheck(check: BallotCheck, bytes: Uint8Array): CheckSummary {
  return {
    check: inspectionCheckOf(check),
    ballotHash: check.ballotHash,
    styleIndex: check.ok ? check.ballot.styleIndex : styleOfBallotBytes(bytes),
  };
}

/** Whatever runs checkSignedBallot on many ballots: the VerifierPool, or directChecker in-process. */
export interface BallotChecker {
  summarizeMany(ballots: readonly SignedBallot[]): Promise<CheckSummary[]>;
}

/** checkSignedBallot in this thread (small records, tests). */
export const directChecker = (rules: BallotRules): BallotChecker => ({
  summarizeMany: (ballots) =>
    Promise.all(
      ballots.map(async (signed) => summarizeCheck(await checkSignedBallot(rules, signed), signed.ballot)),
    ),
});

/** A checker for records without rules (no valid joint key): every ballot fails, with the reason (V4.2). */
export const noContextChecker: BallotChecker = {
  summarizeMany: async (ballots: readonly SignedBallot[]) =>
    ballots.map((signed) =>
      summarizeCheck(
        {
          ok: false,
          code: "malformed-ballot",
          reason: "no valid joint key and manifest to check the ballot against",
          ballotHash: toHex(ballotHash(signed.ballot)),
        },
        signed.ballot,
      ),
    ),
};

export interface CheckerOptions {
  /** Worker threads for the ballot checks; 0 checks in this thread. Default: every core for 64+ ballots. */
  threads?: number;
}

/** Below this many ballots the checks run in this thread (starting workers costs more). */
export const POOL_THRESHOLD = 64;

/** Runs `use` with a ballot checker for these rules: the verifier pool for many ballots, else in-process. */
export async function withChecker<T>(
  rules: ElectionRules | null,
  ballotCount: number,
  options: CheckerOptions,
  use: (checker: BallotChecker, threads: number) => Promise<T>,
): Promise<T> {
  if (rules === null) return use(noContextChecker, 0);
  const threads = options.threads ?? (ballotCount >= POOL_THRESHOLD ? undefined : 0);
  if (threads === 0) return use(directChecker(rules), 0);
  const pool = await VerifierPool.create(
    { context: rules.context, registrarKeys: rules.registrarKeys },
    threads === undefined ? {} : { threads },
  );
  try {
    return await use(pool, pool.threads);
  } finally {
    await pool.close();
  }
}

export function inspectionCheckOf(check: BallotCheck): InspectionCheck {
  if (check.ok) return { ok: true, nullifier: check.nullifier, votingAddress: check.votingAddress };
  const failed: InspectionCheck = { ok: false, code: check.code, reason: check.reason };
  if (check.nullifier !== undefined) failed.nullifier = check.nullifier;
  if (check.votingAddress !== undefined) failed.votingAddress = check.votingAddress;
  return failed;
}

/** The style index in the ballot header ("BLB1" || u32 style), or null when the bytes have no such header. */
export function styleOfBallotBytes(bytes: Uint8Array): number | null {
  if (bytes.length < 8 || !bytesEqual(bytes.subarray(0, 4), BALLOT_MAGIC)) return null;
  return new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0);
}

/**
 * Inspects consecutive recorded ballots. `previousRunningHash` is the
 * computedRunningHash of the ballot before the first one (0x00..00 for index 0).
 */
export function inspectBallots(
  checker: BallotChecker,
  ballots: readonly RecordBallot[],
  previousRunningHash: Hex,
): Promise<BallotInspection[]> {
  return startInspection(checker, ballots, previousRunningHash).inspections;
}

/**
 * inspectBallots, with the running hash after the last ballot known at once
 * (it depends on the events alone), so that the next ballots can be handed to
 * the checker before these are done.
 */
export function startInspection(
  checker: BallotChecker,
  ballots: readonly (RecordBallot & { bytes?: Uint8Array })[],
  previousRunningHash: Hex,
): { lastRunningHash: Hex; inspections: Promise<BallotInspection[]> } {
  const signed: SignedBallot[] = ballots.map((ballot) => ({
    // `bytes`, when the caller has them (the observer's index), are those of `ballot.ballot`.
    ballot: ballot.bytes ?? hexToBytes(ballot.ballot),
    sequence: BigInt(ballot.sequence),
    signature: ballot.signature,
  }));
  const checks = checker.summarizeMany(signed);
  let running = previousRunningHash;
  const runningHashes = ballots.map(
    (ballot, i) =>
      (running = nextRunningHash(running, ballot.nullifier, signed[i].sequence, ballot.ballotHash)),
  );
  const inspections = checks.then((results) =>
    ballots.map((_, i) => ({
      computedHash: results[i].ballotHash,
      computedRunningHash: runningHashes[i],
      check: results[i].check,
      styleIndex: results[i].styleIndex,
    })),
  );
  return { lastRunningHash: running, inspections };
}
