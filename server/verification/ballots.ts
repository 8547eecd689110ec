import type { ElectionContext } from "../protocol/context";
import type { Findings } from "./findings";
import { ballotSubject } from "./ledger";
import { LedgerFold } from "./ledger-fold";
import type { LedgerBallot, LedgerVerdict } from "./report";

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
  return LedgerFold.of(ballots, "last-ballot-counts").verdicts(cancelled);
}

/**
 * V5: the verdicts (the nullifiers cancelled at a precinct applied), with a
 * fault for every excluded ballot and every sequence out of order.
 */
export function checkBallots(
  fold: LedgerFold,
  cancelled: ReadonlySet<string>,
  context: ElectionContext,
  findings: Findings,
): LedgerVerdict[] {
  const verdicts = fold.verdicts(cancelled);
  for (const { ballot, position } of fold.excluded) {
    const verdict = verdicts[position];
    if (verdict.status !== "excluded") continue;
    const subject = ballotSubject(context, ballot);
    const target = { ballot: ballot.index };
    switch (verdict.code) {
      case "bytes-mismatch":
        findings.fault("V5.1", verdict.code, subject, verdict.reason, target);
        break;
      case "invalid-signature":
        findings.fault("V5.2", verdict.code, subject, verdict.reason, target);
        break;
      case "unknown-style":
      case "malformed-ballot":
        findings.fault("V5.3", verdict.code, subject, verdict.reason, target);
        break;
      case "registrar-key-missing":
        findings.fault("V5.4", verdict.code, subject, verdict.reason, target);
        break;
      case "invalid-credential":
        findings.fault("V5.5", verdict.code, subject, verdict.reason, target);
        break;
      case "invalid-proof":
        findings.fault("V5.6", verdict.code, subject, verdict.reason, target);
        break;
      case "nullifier-mismatch":
        findings.fault("V5.7", verdict.code, subject, verdict.reason, target);
        break;
    }
  }
  for (const { ballot, code, sequence, previous } of fold.sequenceFaults)
    findings.fault(
      "V5.8",
      code,
      ballotSubject(context, ballot),
      code === "revote-not-allowed"
        ? `a second ballot under nullifier ${ballot.nullifier}, the policy allows none`
        : `sequence ${sequence} after ${previous ?? 0n} under nullifier ${ballot.nullifier}`,
      { ballot: ballot.index },
    );
  return verdicts;
}
