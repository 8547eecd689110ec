import type { Hex } from "viem";
import { trackingCode } from "../protocol/ballot";
import type { ElectionContext } from "../protocol/context";
import { sameHex, type Findings } from "./findings";
import type { LedgerFold } from "./ledger-fold";
import type { RecordHeader } from "./report";

/**
 * V4, the ledger (docs/protocol.md 10.4): the record's BallotCast events are
 * the contract's ledger. Indices run 0, 1, 2, ... (V4.1); the contract's
 * ballotCount is the number of events (V4.3); the running hash recomputed
 * from the events' nullifier, sequence and ballot hash equals every event's
 * (V4.4, the first divergence reported) and the contract's (V4.5). V4.2
 * (ballots without a context) is reported by the pipeline. A trustee
 * decrypts nothing when a V4 check fails: the ballots read are not the ones
 * the contract recorded.
 */
export function ballotSubject(context: ElectionContext | null, ballot: { index: number; ballotHash: Hex }) {
  if (context === null) return `ballot ${ballot.index}`;
  try {
    return `ballot ${ballot.index} (tracking code ${trackingCode(context, ballot.ballotHash)})`;
  } catch {
    return `ballot ${ballot.index}`;
  }
}

/** Returns the running hash recomputed over the events (0x00..00 for none). */
export function checkLedger(
  header: RecordHeader,
  fold: LedgerFold,
  context: ElectionContext | null,
  findings: Findings,
): Hex {
  for (const { index, position } of fold.indexMismatches)
    findings.fault("V4.1", "ballot-index", `ballot ${index}`, `found at position ${position}`, {
      ballot: index,
    });
  if (header.ballotCount !== fold.size)
    findings.fault(
      "V4.3",
      "count-mismatch",
      "ledger",
      `the contract counts ${header.ballotCount} ballots, the record has ${fold.size} BallotCast events`,
    );
  const diverging = fold.firstDivergence;
  if (diverging !== null)
    findings.fault(
      "V4.4",
      "running-hash-diverges",
      ballotSubject(context, diverging),
      `the running hash recomputed over the events is ${diverging.inspection.computedRunningHash}, the event says ${diverging.runningHash}`,
      { ballot: diverging.index },
    );
  const { runningHash } = fold;
  if (!sameHex(runningHash, header.runningHash))
    findings.fault(
      "V4.5",
      "running-hash-contract-mismatch",
      "ledger",
      `the running hash recomputed over the events is ${runningHash}, the contract holds ${header.runningHash}`,
    );
  return runningHash;
}
