import type { Hex } from "viem";
import { recoverAttestationSigner } from "../protocol/attestation";
import type { Address } from "../protocol/context";
import { sameHex, type Findings } from "./findings";
import type { RecordHeader } from "./report";

/**
 * V9, the observers' attestations (docs/protocol.md 10.9). Each is signed by
 * its observer, who holds the observer role (V9.1, faults: attest() checks
 * both, so a record where they fail was not read from the contract); then,
 * against this verification, it attests the published result (V9.2
 * other-result) and the tally hash this verification computed (V9.2
 * tally-differs), and does not dispute the result (V9.3): warnings, since an
 * observer's opinion does not change what the record proves.
 */

/** The signer of each attestation's EIP-712 signature (null: none recovers), in record order. */
export function recoverAttestationSigners(header: RecordHeader): Promise<(Address | null)[]> {
  const location = { chainId: BigInt(header.chainId), election: header.election };
  return Promise.all(
    header.attestations.map((a) =>
      recoverAttestationSigner(
        location,
        {
          election: header.election,
          resultHash: a.resultHash,
          tallyHash: a.tallyHash,
          resultMatches: a.resultMatches,
        },
        a.signature,
      ),
    ),
  );
}

export function checkAttestations(
  header: RecordHeader,
  signers: readonly (Address | null)[],
  ownTallyHash: Hex | null,
  findings: Findings,
): void {
  header.attestations.forEach((attestation, position) => {
    const subject = `observer ${attestation.observer}`;
    const target = { observer: attestation.observer };
    const signer = signers[position];
    if (signer === null || (signer !== undefined && !sameHex(signer, attestation.observer)))
      findings.fault(
        "V9.1",
        "attestation-signature-invalid",
        subject,
        signer === null
          ? "the attestation's signature recovers no signer"
          : `the attestation is signed by ${signer}, not by the observer`,
        target,
      );
    if (!header.observers.some((o) => sameHex(o, attestation.observer)))
      findings.fault(
        "V9.1",
        "attestation-not-observer",
        subject,
        "the account does not hold the observer role",
        target,
      );
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
  });
}
