/**
 * The numbered checks of the verification (docs/protocol.md section 10) and
 * the closed list of finding codes each may report. Every finding names its
 * check number (V1.1 ... V9.3) and one of that check's codes; nothing is
 * matched on the words of a message.
 */
export const CHECKS = {
  // V1: manifest (protocol.md 10.1)
  "V1.1": { group: "manifest", codes: ["manifest-unparsable"] },
  "V1.2": { group: "manifest", codes: ["manifest-not-canonical"] },
  "V1.3": { group: "manifest", codes: ["manifest-hash-mismatch"] },
  "V1.4": { group: "manifest", codes: ["parameters-mismatch"] },
  "V1.5": { group: "manifest", codes: ["window-mismatch"] },
  // V2: key ceremony (10.2)
  "V2.1": { group: "ceremony", codes: ["several-joint-keys"] },
  "V2.2": {
    group: "ceremony",
    codes: ["keys-missing", "keys-malformed", "proof-of-knowledge-invalid", "duplicate-keys"],
  },
  "V2.3": { group: "ceremony", codes: ["shares-missing", "shares-malformed", "duplicate-shares"] },
  "V2.4": {
    group: "ceremony",
    codes: ["complaint-upheld", "complaint-unfounded", "complaint-evidence-invalid"],
  },
  "V2.5": { group: "ceremony", codes: ["confirmation-mismatch", "confirmations-missing"] },
  "V2.6": { group: "ceremony", codes: ["joint-key-mismatch"] },
  // V3: registrar keys (10.3)
  "V3.1": { group: "registrarKeys", codes: ["registrar-key-unknown-style"] },
  "V3.2": { group: "registrarKeys", codes: ["invalid-modulus"] },
  "V3.3": { group: "registrarKeys", codes: ["registrar-key-absent"] },
  // V4: the ledger of recorded ballots (10.4)
  "V4.1": { group: "ledger", codes: ["ballot-index"] },
  "V4.2": { group: "ledger", codes: ["ballots-without-context"] },
  "V4.3": { group: "ledger", codes: ["count-mismatch"] },
  "V4.4": { group: "ledger", codes: ["running-hash-diverges"] },
  "V4.5": { group: "ledger", codes: ["running-hash-contract-mismatch"] },
  // V5: each recorded ballot, in this order; the first failure is its exclusion code (10.5)
  "V5.1": { group: "ballots", codes: ["bytes-mismatch"] },
  "V5.2": { group: "ballots", codes: ["invalid-signature"] },
  "V5.3": { group: "ballots", codes: ["unknown-style", "malformed-ballot"] },
  "V5.4": { group: "ballots", codes: ["registrar-key-missing"] },
  "V5.5": { group: "ballots", codes: ["invalid-credential"] },
  "V5.6": { group: "ballots", codes: ["invalid-proof"] },
  "V5.7": { group: "ballots", codes: ["nullifier-mismatch"] },
  "V5.8": { group: "ballots", codes: ["sequence-not-higher", "revote-not-allowed"] },
  // V6: issuance journal (10.6)
  "V6.1": { group: "issuance", codes: ["issuance-unknown-style"] },
  "V6.2": { group: "issuance", codes: ["duplicate-issuance"] },
  "V6.3": { group: "issuance", codes: ["more-counted-than-issued"] },
  // V7: decryption shares (10.7)
  "V7.1": { group: "decryptionShares", codes: ["duplicate-share"] },
  "V7.2": { group: "decryptionShares", codes: ["unknown-trustee"] },
  "V7.3": { group: "decryptionShares", codes: ["aggregate-mismatch"] },
  "V7.4": { group: "decryptionShares", codes: ["invalid-share"] },
  // V8: tally and result (10.8)
  "V8.1": { group: "result", codes: ["counted-undecodable"] },
  "V8.2": { group: "result", codes: ["not-decryptable"] },
  "V8.3": { group: "result", codes: ["result-not-verifiable"] },
  "V8.4": { group: "result", codes: ["result-mismatch", "result-hash-mismatch"] },
  // V9: attestations (10.9)
  "V9.1": { group: "attestations", codes: ["attestation-signature-invalid", "attestation-not-observer"] },
  "V9.2": { group: "attestations", codes: ["other-result", "tally-differs"] },
  "V9.3": { group: "attestations", codes: ["disputes-result"] },
  // V10: one person, one channel: reconciliation per district (protocol.md 11.6; reconciliation.ts)
  "V10.1": { group: "reconciliation", codes: ["roll-unknown-style", "duplicate-roll-entry"] },
  "V10.2": { group: "reconciliation", codes: ["issuance-not-on-roll", "paper-not-on-roll"] },
  "V10.3": {
    group: "reconciliation",
    codes: ["duplicate-paper", "paper-after-credential", "credential-after-paper"],
  },
  "V10.4": {
    group: "reconciliation",
    codes: [
      "cancellation-not-allowed",
      "cancellation-invalid-credential",
      "cancellation-without-credential",
      "cancellation-style-mismatch",
      "cancellation-without-paper",
      "duplicate-cancellation",
    ],
  },
  "V10.5": { group: "reconciliation", codes: ["roll-exceeded", "online-exceeds-credentials"] },
} as const;

export type CheckNumber = keyof typeof CHECKS;
export type CodeOf<C extends CheckNumber> = (typeof CHECKS)[C]["codes"][number];
/** Every code a finding may carry: the closed list. */
export type FindingCode = CodeOf<CheckNumber>;
/** The group a check belongs to: one line of the report's `checks`. */
export type CheckName = (typeof CHECKS)[CheckNumber]["group"];

/** The groups in report order. */
export const CHECK_NAMES: readonly CheckName[] = [
  "manifest",
  "ceremony",
  "registrarKeys",
  "ledger",
  "ballots",
  "issuance",
  "decryptionShares",
  "result",
  "attestations",
  "reconciliation",
];

export interface Finding {
  /** The check that found it (docs/protocol.md section 10). */
  check: CheckNumber;
  /** Its group (the check's first digit, by name). */
  kind: CheckName;
  /** A fault makes the verification fail; a warning is reported only. */
  severity: "fault" | "warning";
  code: FindingCode;
  /** What it concerns, for people: "ballot 12 (tracking code ...)", "trustee 3", "style 1 (north)". */
  subject: string;
  reason: string;
  ballot?: number;
  trustee?: number;
  style?: number;
  observer?: string;
}

export type FindingTarget = Pick<Finding, "ballot" | "trustee" | "style" | "observer">;

/** Collects the findings of one verification, in the order the checks run. */
export class Findings {
  readonly list: Finding[] = [];

  fault<C extends CheckNumber>(
    check: C,
    code: CodeOf<C>,
    subject: string,
    reason: string,
    target: FindingTarget = {},
  ) {
    this.add("fault", check, code, subject, reason, target);
  }

  warning<C extends CheckNumber>(
    check: C,
    code: CodeOf<C>,
    subject: string,
    reason: string,
    target: FindingTarget = {},
  ) {
    this.add("warning", check, code, subject, reason, target);
  }

  add<C extends CheckNumber>(
    severity: Finding["severity"],
    check: C,
    code: CodeOf<C>,
    subject: string,
    reason: string,
    target: FindingTarget = {},
  ) {
    this.list.push({ check, kind: CHECKS[check].group, severity, code, subject, reason, ...target });
  }

  get faults(): Finding[] {
    return this.list.filter((f) => f.severity === "fault");
  }
}

export const sameHex = (a: string, b: string): boolean => a.toLowerCase() === b.toLowerCase();
