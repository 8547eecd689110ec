import { applyCountingRules, type CountInput } from "../protocol/counting";
import type { ElectionContext } from "../protocol/context";
import { sameHex, type Findings } from "./findings";
import { ballotSubject } from "./ledger";
import { cancelledNullifiers } from "./reconciliation";
import type { LedgerBallot, LedgerVerdict, RecordHeader } from "./report";

/**
 * V5, each recorded ballot (docs/protocol.md 10.5), checks in this order,
 * the first failure giving the ballot's exclusion code: its bytes hash to its
 * event's ballot hash (V5.1 bytes-mismatch), then checkSignedBallot (V5.2
 * invalid-signature, V5.3 unknown-style or malformed-ballot, V5.4
 * registrar-key-missing, V5.5 invalid-credential, V5.6 invalid-proof; run
 * beforehand by the inspection), then the event's nullifier is the signer's
 * (V5.7 nullifier-mismatch); then per nullifier the sequences (V5.8). The
 * counting rules (counting.ts) turn the outcomes into verdicts.
 */

/**
 * The verdict of every given ballot. A ballot's verdict depends only on the
 * ballots under the same recorded nullifier, so `audit track` may pass just
 * those.
 */
export function verdictsOf(
  ballots: readonly LedgerBallot[],
  cancelled: ReadonlySet<string> = new Set(),
): LedgerVerdict[] {
  const inputs: CountInput<LedgerBallot>[] = ballots.map((ballot) => {
    const { check, computedHash } = ballot.inspection;
    return {
      index: ballot.index,
      nullifier: ballot.nullifier,
      check: !sameHex(computedHash, ballot.ballotHash)
        ? {
            ok: false,
            code: "bytes-mismatch",
            reason: `the calldata bytes hash to ${computedHash}, the BallotCast event says ${ballot.ballotHash}`,
          }
        : check.ok
          ? { ok: true, nullifier: check.nullifier, ballot }
          : { ok: false, code: check.code, reason: check.reason },
    };
  });
  // A nullifier cancelled at a precinct (protocol.md 11.4): its ballots count as nothing.
  return applyCountingRules(inputs).verdicts.map((verdict, position) =>
    verdict.status === "counted" && cancelled.has(ballots[position].nullifier.toLowerCase())
      ? { index: verdict.index, status: "superseded", supersededBy: null }
      : verdict,
  );
}

/** V5: the verdicts, with a fault for every excluded ballot and every sequence out of order. */
export function checkBallots(
  header: RecordHeader,
  ballots: readonly LedgerBallot[],
  context: ElectionContext,
  findings: Findings,
): LedgerVerdict[] {
  const verdicts = verdictsOf(ballots, cancelledNullifiers(header.channels));
  verdicts.forEach((verdict, position) => {
    if (verdict.status !== "excluded") return;
    const ballot = ballots[position];
    const subject = ballotSubject(context, ballot);
    const target = { ballot: ballot.index };
    switch (verdict.code) {
      case "bytes-mismatch":
        return findings.fault("V5.1", verdict.code, subject, verdict.reason, target);
      case "invalid-signature":
        return findings.fault("V5.2", verdict.code, subject, verdict.reason, target);
      case "unknown-style":
      case "malformed-ballot":
        return findings.fault("V5.3", verdict.code, subject, verdict.reason, target);
      case "registrar-key-missing":
        return findings.fault("V5.4", verdict.code, subject, verdict.reason, target);
      case "invalid-credential":
        return findings.fault("V5.5", verdict.code, subject, verdict.reason, target);
      case "invalid-proof":
        return findings.fault("V5.6", verdict.code, subject, verdict.reason, target);
      case "nullifier-mismatch":
        return findings.fault("V5.7", verdict.code, subject, verdict.reason, target);
    }
  });

  // V5.8: sequence numbers per nullifier, as the contract should have enforced them.
  const latest = new Map<string, bigint>();
  for (const ballot of ballots) {
    const key = ballot.nullifier.toLowerCase();
    const sequence = BigInt(ballot.sequence);
    const previous = latest.get(key);
    if (previous !== undefined && header.revotePolicy === "none")
      findings.fault(
        "V5.8",
        "revote-not-allowed",
        ballotSubject(context, ballot),
        `a second ballot under nullifier ${ballot.nullifier}, the policy allows none`,
        { ballot: ballot.index },
      );
    else if (sequence < 1n || (previous !== undefined && sequence <= previous))
      findings.fault(
        "V5.8",
        "sequence-not-higher",
        ballotSubject(context, ballot),
        `sequence ${sequence} after ${previous ?? 0n} under nullifier ${ballot.nullifier}`,
        { ballot: ballot.index },
      );
    latest.set(key, previous === undefined || sequence > previous ? sequence : previous);
  }
  return verdicts;
}
