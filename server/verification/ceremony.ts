import { verifyCeremony, type CeremonyFinding, type CeremonyRecord } from "../protocol/ceremony";
import { ceremonyBaseHash, electionContext, type ElectionContext } from "../protocol/context";
import type { Manifest } from "../protocol/manifest";
import { hexToBytes, toHex } from "../protocol/primitives/bytes";
import type { Point } from "../protocol/primitives/group";
import type { RecordCeremonyRound } from "../protocol/record";
import { sameHex, type CheckNumber, type CodeOf, type Findings } from "./findings";
import type { RecordHeader } from "./report";

/**
 * V2, the key ceremony (docs/protocol.md 10.2), judged on the round that
 * published the joint key: every trustee's keys and proofs (V2.2), shares
 * (V2.3), complaints (V2.4), confirmations (V2.5) and K = sum of C_{i,0}
 * (V2.6). Complaints of abandoned rounds are judged too: an unfounded one, or
 * one with invalid evidence, is a warning; an upheld one is no finding. The context (Q) follows from that round's commitments whenever
 * every trustee's keys decode and prove, even if other V2 checks fail.
 */
export interface CeremonyOutcome {
  /** Null when no round published a joint key, or some trustee's keys do not decode or prove. */
  context: ElectionContext | null;
  publicKeyShares: Point[];
}

const CHECK_OF_CEREMONY_FINDING: Record<CeremonyFinding["kind"], "V2.2" | "V2.3" | "V2.4"> = {
  "keys-missing": "V2.2",
  "keys-malformed": "V2.2",
  "proof-of-knowledge-invalid": "V2.2",
  "shares-missing": "V2.3",
  "shares-malformed": "V2.3",
  "complaint-upheld": "V2.4",
  "complaint-unfounded": "V2.4",
  "complaint-evidence-invalid": "V2.4",
};

function report(
  findings: Findings,
  severity: "fault" | "warning",
  round: number,
  finding: CeremonyFinding,
): void {
  const check = CHECK_OF_CEREMONY_FINDING[finding.kind];
  findings.add(
    severity,
    check,
    finding.kind as CodeOf<typeof check>,
    `trustee ${finding.trustee}`,
    `round ${round}: ${finding.detail}`,
    { trustee: finding.trustee },
  );
}

function ceremonyRecordOf(
  header: RecordHeader,
  manifest: Manifest,
  round: RecordCeremonyRound,
  findings: Findings,
  severity: "fault" | "warning",
): CeremonyRecord {
  const byIndex = <T extends { trusteeIndex: number }>(
    items: readonly T[],
    check: CheckNumber & ("V2.2" | "V2.3"),
    code: "duplicate-keys" | "duplicate-shares",
  ): (T | undefined)[] =>
    Array.from({ length: header.trusteeCount }, (_, i) => {
      const matching = items.filter((item) => item.trusteeIndex === i + 1);
      if (matching.length > 1)
        findings.add(
          severity,
          check,
          code as never,
          `trustee ${i + 1}`,
          `${code === "duplicate-keys" ? "keys" : "shares"} posted twice in round ${round.round}`,
          { trustee: i + 1 },
        );
      return matching[0];
    });
  return {
    ceremonyBase: ceremonyBaseHash(
      { chainId: BigInt(header.chainId), election: header.election },
      manifest,
      round.round,
    ),
    trusteeCount: header.trusteeCount,
    threshold: header.threshold,
    keys: byIndex(round.keys, "V2.2", "duplicate-keys").map((k) =>
      k === undefined
        ? undefined
        : {
            commitments: hexToBytes(k.commitments),
            proofs: hexToBytes(k.proofs),
            boxKey: hexToBytes(k.boxKey),
          },
    ),
    shares: byIndex(round.shares, "V2.3", "duplicate-shares").map((s) =>
      s === undefined ? undefined : hexToBytes(s.encryptedShares),
    ),
    complaints: round.complaints.map((c) => ({ ...c, evidence: hexToBytes(c.evidence) })),
  };
}

export function checkCeremony(
  header: RecordHeader,
  manifest: Manifest,
  findings: Findings,
): CeremonyOutcome | null {
  const finished = header.ceremonyRounds.filter((r) => r.jointKey !== null);
  if (finished.length > 1)
    findings.fault(
      "V2.1",
      "several-joint-keys",
      "ceremony",
      "more than one ceremony round published a joint key",
    );
  const final = finished[0];
  for (const round of header.ceremonyRounds) {
    if (round === final || round.complaints.length === 0) continue;
    // An abandoned round: its complaints are judged. An upheld complaint is why a round is
    // abandoned (the process worked: no finding); one that is unfounded or has invalid evidence
    // is a warning about the complainer.
    const judged = verifyCeremony(ceremonyRecordOf(header, manifest, round, findings, "warning"));
    for (const f of judged.findings)
      if (f.kind === "complaint-unfounded" || f.kind === "complaint-evidence-invalid")
        report(findings, "warning", round.round, f);
  }
  if (final === undefined) return null;
  const judged = verifyCeremony(ceremonyRecordOf(header, manifest, final, findings, "fault"));
  for (const f of judged.findings) report(findings, "fault", final.round, f);
  const confirmed = new Set<number>();
  for (const c of final.confirmations) {
    confirmed.add(c.trusteeIndex);
    if (!sameHex(c.jointKey, final.jointKey!))
      findings.fault(
        "V2.5",
        "confirmation-mismatch",
        `trustee ${c.trusteeIndex}`,
        `confirmed ${c.jointKey}, the published joint key is ${final.jointKey}`,
        { trustee: c.trusteeIndex },
      );
  }
  if (confirmed.size !== header.trusteeCount)
    findings.fault(
      "V2.5",
      "confirmations-missing",
      "ceremony",
      `${confirmed.size} of ${header.trusteeCount} trustees confirmed the joint key`,
    );
  if (judged.jointKey === null) return { context: null, publicKeyShares: [] };
  if (!sameHex(toHex(judged.jointKey), final.jointKey!))
    findings.fault(
      "V2.6",
      "joint-key-mismatch",
      "ceremony",
      `the commitments give the joint key ${toHex(judged.jointKey)}, the contract published ${final.jointKey}`,
    );
  const context = electionContext(
    { chainId: BigInt(header.chainId), election: header.election },
    manifest,
    judged.jointKey,
    judged.commitments,
  );
  return { context, publicKeyShares: judged.publicKeyShares };
}
