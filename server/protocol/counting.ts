import type { Hex } from "viem";
import type { BallotCheckCode } from "./ballot-check";
import type { EncryptedBallot } from "./ballot";

/**
 * The counting rules, applied the same way by trustees, observers and
 * auditors to the ballots recorded on chain (in chain order):
 *
 *  1. A ballot is excluded when its off-chain check fails (signature,
 *     encoding, credential, proofs; see ballot-check.ts) or when the
 *     nullifier recorded on chain is not the one of its recovered signer.
 *  2. Of the valid ballots under one nullifier, the last recorded counts
 *     (the contract only records strictly increasing sequence numbers, and
 *     only one ballot per nullifier when re-voting is not allowed); the
 *     earlier ones are superseded.
 *
 * A voter's last valid ballot counts even when a later one is invalid: only
 * the holder of the voting key can sign under its nullifier, so an invalid
 * later ballot cannot have been forged by a relay to cancel a vote.
 */
export type ExclusionCode = BallotCheckCode | "nullifier-mismatch";

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
  { ok: true; nullifier: Hex; ballot: B } | { ok: false; code: BallotCheckCode; reason: string };

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

export function applyCountingRules<B = EncryptedBallot>(inputs: readonly CountInput<B>[]): CountOutcome<B> {
  const lastValid = new Map<string, number>();
  const verdicts: BallotVerdict[] = [];
  for (const input of inputs) {
    const { check } = input;
    if (!check.ok) {
      verdicts.push({ index: input.index, status: "excluded", code: check.code, reason: check.reason });
      continue;
    }
    if (check.nullifier.toLowerCase() !== input.nullifier.toLowerCase()) {
      verdicts.push({
        index: input.index,
        status: "excluded",
        code: "nullifier-mismatch",
        reason: `recorded nullifier ${input.nullifier} is not the signer's ${check.nullifier}`,
      });
      continue;
    }
    lastValid.set(input.nullifier.toLowerCase(), input.index);
    verdicts.push({ index: input.index, status: "counted" });
  }
  const counted: CountOutcome<B>["counted"] = [];
  inputs.forEach((input, position) => {
    const verdict = verdicts[position];
    if (verdict.status !== "counted" || !input.check.ok) return;
    const last = lastValid.get(input.nullifier.toLowerCase())!;
    if (last !== input.index)
      verdicts[position] = { index: input.index, status: "superseded", supersededBy: last };
    else counted.push({ index: input.index, ballot: input.check.ballot });
  });
  return { verdicts, counted };
}
