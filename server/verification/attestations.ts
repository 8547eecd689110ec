import type { Hex } from "viem";
import { sameHex, type Findings } from "./findings";
import type { RecordHeader } from "./report";

/**
 * V9, the observers' attestations (docs/protocol.md 10.9), each against this
 * verification: it attests the published result (V9.2 other-result) and the
 * tally hash this verification computed (V9.2 tally-differs), and does not
 * dispute the result (V9.3). All warnings: an observer's opinion does not
 * change what the record proves.
 */
export function checkAttestations(header: RecordHeader, ownTallyHash: Hex | null, findings: Findings): void {
  for (const attestation of header.attestations) {
    const subject = `observer ${attestation.observer}`;
    const target = { observer: attestation.observer };
    if (header.result !== null && !sameHex(attestation.resultHash, header.result.resultHash))
      findings.warning(
        "V9.2",
        "other-result",
        subject,
        `attests result ${attestation.resultHash}, not the published one`,
        target,
      );
    if (ownTallyHash !== null && !sameHex(attestation.tallyHash, ownTallyHash))
      findings.warning(
        "V9.2",
        "tally-differs",
        subject,
        `attests tally ${attestation.tallyHash}, this verification computed ${ownTallyHash}`,
        target,
      );
    if (!attestation.resultMatches)
      findings.warning(
        "V9.3",
        "disputes-result",
        subject,
        "attests that the published result does not match",
        target,
      );
  }
}
