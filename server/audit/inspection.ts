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

/**
 * The per-ballot half of the verification, the only expensive part: the full
 * off-chain check of each recorded ballot (checkSignedBallot, on every core
 * through the verifier pool) and the ballot hash and running hash recomputed
 * from its calldata bytes. The observer inspects ballots as they arrive and
 * keeps the outcome in its index; `audit verify` inspects a whole record.
 * Both then run the same verifyElection (verification.ts) over the outcomes.
 */
export type InspectionCheck =
  | { ok: true; nullifier: Hex; votingAddress: Address }
  | { ok: false; code: BallotCheckCode; reason: string; nullifier?: Hex; votingAddress?: Address };

export interface BallotInspection {
  /** keccak256 of the ballot bytes from the calldata. */
  computedHash: Hex;
  /** The running hash recomputed from the calldata of this and every earlier ballot. */
  computedRunningHash: Hex;
  check: InspectionCheck;
  /** The ballot style (from the decoded ballot, or the header of undecodable bytes), null when unreadable. */
  styleIndex: number | null;
}

/** Whatever runs checkSignedBallot on many ballots: the VerifierPool, or directChecker in-process. */
export interface BallotChecker {
  checkMany(ballots: readonly SignedBallot[]): Promise<BallotCheck[]>;
}

/** checkSignedBallot in this thread (small records, tests). */
export const directChecker = (rules: BallotRules): BallotChecker => ({
  checkMany: (ballots) => Promise.all(ballots.map((signed) => checkSignedBallot(rules, signed))),
});

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
export async function inspectBallots(
  checker: BallotChecker,
  ballots: readonly RecordBallot[],
  previousRunningHash: Hex,
): Promise<BallotInspection[]> {
  const signed: SignedBallot[] = ballots.map((ballot) => ({
    ballot: hexToBytes(ballot.ballot),
    sequence: BigInt(ballot.sequence),
    signature: ballot.signature,
  }));
  const checks = await checker.checkMany(signed);
  let running = previousRunningHash;
  return ballots.map((ballot, i) => {
    const computedHash = toHex(ballotHash(signed[i].ballot));
    running = nextRunningHash(running, ballot.nullifier, signed[i].sequence, computedHash);
    const check = checks[i];
    return {
      computedHash,
      computedRunningHash: running,
      check: inspectionCheckOf(check),
      styleIndex: check.ok ? check.ballot.styleIndex : styleOfBallotBytes(signed[i].ballot),
    };
  });
}
