import type { Hex } from "viem";
import type { ElectionContext } from "../protocol/context";
import { fromHex } from "../protocol/primitives/bytes";
import type { Point } from "../protocol/primitives/group";
import type { RecordDecryptionShare } from "../protocol/record";
import { verifyDecryptionShare, type Aggregate, type DecryptionShare } from "../protocol/tally";
import { sameHex, type Findings } from "./findings";

/**
 * V7, decryption shares (docs/protocol.md 10.7), in chain order. A posted
 * share counts toward the result only when all of these hold, the first
 * failure being reported: its trustee index (the DecryptionSharePosted
 * event's, which the contract takes from the poster's trustee role) has not
 * posted before (V7.1 duplicate-share: only the first share of an index
 * counts), is within 1..n (V7.2 unknown-trustee), the aggregate hash it was
 * posted for is the hash of the aggregate the verifier computed itself from
 * the counted ballots (V7.3 aggregate-mismatch: a share for another
 * aggregate never counts, even when its proofs would hold), and it verifies
 * (protocol.md 6.3: magic, u32(i) equal to the event's index, length,
 * encodings, every proof against the verifier's own aggregate; V7.4
 * invalid-share).
 */
export interface ShareOutcome {
  valid: DecryptionShare[];
  verdicts: { trusteeIndex: number; valid: boolean; reason?: string }[];
}

export function checkDecryptionShares(
  posted: readonly RecordDecryptionShare[],
  context: ElectionContext,
  publicKeyShares: readonly Point[],
  aggregate: Aggregate,
  ownAggregateHash: Hex,
  findings: Findings,
): ShareOutcome {
  const valid: DecryptionShare[] = [];
  const verdicts: ShareOutcome["verdicts"] = [];
  const seen = new Set<number>();
  for (const share of posted) {
    const trustee = share.trusteeIndex;
    const subject = `trustee ${trustee}`;
    const refuse = (reason: string) => verdicts.push({ trusteeIndex: trustee, valid: false, reason });
    if (seen.has(trustee)) {
      const reason = "a second decryption share of this trustee";
      findings.fault("V7.1", "duplicate-share", subject, reason, { trustee });
      refuse(reason);
      continue;
    }
    seen.add(trustee);
    const publicShare = trustee >= 1 ? publicKeyShares[trustee - 1] : undefined;
    if (publicShare === undefined) {
      const reason = `no trustee ${trustee}: indices run 1..${publicKeyShares.length}`;
      findings.fault("V7.2", "unknown-trustee", subject, reason, { trustee });
      refuse(reason);
      continue;
    }
    if (!sameHex(share.aggregateHash, ownAggregateHash)) {
      const reason = `posted for aggregate ${share.aggregateHash}, the counted ballots aggregate to ${ownAggregateHash}`;
      findings.fault("V7.3", "aggregate-mismatch", subject, reason, { trustee });
      refuse(reason);
      continue;
    }
    const bytes = fromHex(share.share);
    const verified =
      bytes === null
        ? { ok: false as const, reason: "decryption share: not hex" }
        : verifyDecryptionShare(context, aggregate, trustee, publicShare, bytes);
    if (!verified.ok) {
      findings.fault("V7.4", "invalid-share", subject, verified.reason, { trustee });
      refuse(verified.reason);
      continue;
    }
    valid.push(verified.share);
    verdicts.push({ trusteeIndex: trustee, valid: true });
  }
  valid.sort((a, b) => a.trusteeIndex - b.trusteeIndex);
  return { valid, verdicts };
}
