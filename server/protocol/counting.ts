import type { Hex } from "viem";
import type { BallotCheckCode } from "./ballot-check";
import type { EncryptedBallot } from "./ballot";

/**
 * The counting rules (docs/protocol.md 10.5), applied the same way by
 * trustees, the commission, observers and auditors to the ballots recorded
 * on chain, in chain order (the order of the BallotCast events):
 *
 *  1. A ballot is excluded, with the code of the first failing check, when
 *     its calldata bytes do not hash to its event's ballot hash
 *     (bytes-mismatch, V5.1), when its off-chain check fails (signature,
 *     encoding, credential, proofs, V5.2-V5.6; see ballot-check.ts), or when
 *     the nullifier recorded on chain is not the one of its recovered signer
 *     (nullifier-mismatch, V5.7).
 *  2. Ballots are grouped by the nullifier of their BallotCast event. Of the
 *     valid ballots of one group, the last in chain order counts (not the one
 *     with the highest sequence: the contract records only increasing
 *     sequences, and V5.8 reports any record where they do not increase); the
 *     earlier ones are superseded. The rule does not depend on the re-vote
 *     policy: under policy none a second recorded ballot is a fault of the
 *     ledger (V5.8 revote-not-allowed), and the last valid ballot still counts.
 *
 * A voter's last valid ballot counts even when a later one is invalid: only
 * the holder of the voting key can sign under its nullifier, so an invalid
 * later ballot cannot have been forged by a relay to cancel a vote.
 */
export type ExclusionCode = "bytes-mismatch" | BallotCheckCode | "nullifier-mismatch";

/** Every exclusion code, in the order of the checks that give them (V5.1 to V5.7). */
export const EXCLUSION_CODES: readonly ExclusionCode[] = [
  "bytes-mismatch",
  "invalid-signature",
  "unknown-style",
  "malformed-ballot",
  "registrar-key-missing",
  "invalid-credential",
  "invalid-proof",
  "nullifier-mismatch",
];

export type BallotVerdict =
  | { index: number; status: "counted" }
  | { index: number; status: "superseded"; supersededBy: number }
  | { index: number; status: "excluded"; code: ExclusionCode; reason: string };

/**
 * What the rules need of a ballot's check: a BallotCheck (ballot-check.ts), or the same outcome
 * with something else in place of the decoded ballot (the observer keeps
 * outcomes in its index and decodes only the counted ballots, for the tally).
 */
export type CountableCheck<B = EncryptedBallot> =
  | { ok: true; nullifier: Hex; ballot: B }
  | { ok: false; code: Exclude<ExclusionCode, "nullifier-mismatch">; reason: string };

export interface CountInput<B = EncryptedBallot> {
  index: number;
  /** The nullifier the contract recorded (BallotCast). */
  nullifier: Hex;
  check: CountableCheck<B>;
}

export interface CountOutcome<B = EncryptedBallot> {
  verdicts: BallotVerdict[];
  /** The counted ballots, in chain order. */
  counted: { index: number; ballot: B }[];
}

/**
 * The counting rules applied one ballot at a time, in chain order: after
 * each add, `verdicts` are those of applyCountingRules over the ballots added
 * so far. An observer keeps one from round to round and adds only the new
 * ballots; a re-vote rewrites the verdicts of the voter's earlier valid
 * ballots (superseded by the new last one).
 */
export class CountingFold<B = EncryptedBallot> {
  /** verdicts[p]: the verdict of the p-th ballot added. */
  readonly verdicts: BallotVerdict[] = [];
  /**
   * Per recorded nullifier (lower case), the position of its valid ballot, or
   * the positions of its valid ballots in chain order when it has several.
   */
  private readonly valid = new Map<string, number | number[]>();

  /**
   * Adds the next ballot in chain order. Returns the position of the ballot
   * that counted until now and no longer does (this one replaces it), else -1.
   */
  add(input: CountInput<B>): number {
    const { check } = input;
    if (!check.ok) {
      this.verdicts.push({ index: input.index, status: "excluded", code: check.code, reason: check.reason });
      return -1;
    }
    const key = input.nullifier.toLowerCase();
    if (check.nullifier.toLowerCase() !== key) {
      this.verdicts.push({
        index: input.index,
        status: "excluded",
        code: "nullifier-mismatch",
        reason: `recorded nullifier ${input.nullifier} is not the signer's ${check.nullifier}`,
      });
      return -1;
    }
    const position = this.verdicts.length;
    this.verdicts.push({ index: input.index, status: "counted" });
    const earlier = this.valid.get(key);
    if (earlier === undefined) {
      this.valid.set(key, position);
      return -1;
    }
    const positions = typeof earlier === "number" ? [earlier] : earlier;
    for (const p of positions)
      this.verdicts[p] = { index: this.verdicts[p].index, status: "superseded", supersededBy: input.index };
    positions.push(position);
    this.valid.set(key, positions);
    return positions[positions.length - 2];
  }

  /** The position of the ballot that counts for this recorded nullifier, or -1 when none does. */
  countedPosition(nullifier: Hex): number {
    const positions = this.valid.get(nullifier.toLowerCase());
    if (positions === undefined) return -1;
    return typeof positions === "number" ? positions : positions[positions.length - 1];
  }
}

export function applyCountingRules<B = EncryptedBallot>(inputs: readonly CountInput<B>[]): CountOutcome<B> {
  const fold = new CountingFold<B>();
  for (const input of inputs) fold.add(input);
  const counted: CountOutcome<B>["counted"] = [];
  inputs.forEach((input, position) => {
    if (fold.verdicts[position].status === "counted" && input.check.ok)
      counted.push({ index: input.index, ballot: input.check.ballot });
  });
  return { verdicts: fold.verdicts, counted };
}
