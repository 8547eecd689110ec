import type { Hex } from "viem";
import { canonicalJson } from "../protocol/canonical-json";
import {
  COMBINED_TALLY_VERSION,
  combinedTallyHash,
  encodeCombinedTally,
  normalizeCombinedTally,
  type CombinedTally,
} from "../protocol/combined-tally";
import type { Contest, Manifest } from "../protocol/manifest";
import { toHex } from "../protocol/primitives/bytes";
import type { ElectionRecord } from "../protocol/record";
import { verifyElectionRecord, type RecordVerificationOptions } from "../verification/record";
import type { Verification, VerificationReport } from "../verification/report";

/**
 * `audit combine`: the combined result of the contests several elections
 * share, e.g. the federal party list of two platforms (docs/protocol.md
 * section 12). Each record is verified fully (the one verification, as
 * `audit verify`); then the records must agree on the rules of every
 * contest two or more of them share; then each must have a published result
 * that its own verification recomputed. Any failure refuses the whole
 * combination with one of the codes below; nothing partial is published.
 */
export type CombineRefusalCode =
  | "too-few-records"
  | "same-election-twice"
  | "record-fails"
  | "rules-differ"
  | "contest-differs"
  | "nothing-shared"
  | "no-verified-result";

export interface CombinedElection {
  label: string;
  chainId: string;
  election: string;
  tallyHash: Hex;
  /** The contests of this election that are combined. */
  shared: string[];
}

export type CombineOutcome =
  | {
      ok: true;
      tally: CombinedTally;
      bytes: string;
      hash: Hex;
      elections: CombinedElection[];
    }
  | {
      ok: false;
      code: CombineRefusalCode;
      reason: string;
      reports: { label: string; report: VerificationReport }[];
    };

/** The rules a shared contest must be combined under: the same in every record that has it. */
const rulesOf = (manifest: Manifest) => ({
  version: manifest.version,
  revotePolicy: manifest.revotePolicy,
  paperCancellation: manifest.paperCancellation ?? "none",
});

/** `audit combine`: verifies every record fully (as `audit verify`), then combines them. */
export async function combineRecords(
  records: readonly { label: string; record: ElectionRecord }[],
  options: RecordVerificationOptions = {},
): Promise<CombineOutcome> {
  if (records.length < 2)
    return {
      ok: false,
      code: "too-few-records",
      reason: "give at least two election records to combine",
      reports: [],
    };
  const verifications: { label: string; verification: Verification }[] = [];
  for (const { label, record } of records)
    verifications.push({ label, verification: await verifyElectionRecord(record, options) });
  return combineVerifications(verifications);
}

/**
 * The combination of elections already verified by the one verification
 * (records read by `audit combine`, or an observer's latest verification of
 * each election it follows). Pure.
 */
export function combineVerifications(
  inputs: readonly { label: string; verification: Verification }[],
): CombineOutcome {
  const reports = inputs.map(({ label, verification }) => ({ label, report: verification.report }));
  const refuse = (code: CombineRefusalCode, reason: string): CombineOutcome => ({
    ok: false,
    code,
    reason,
    reports,
  });
  if (inputs.length < 2) return refuse("too-few-records", "give at least two election records to combine");
  const seen = new Map<string, string>();
  for (const { label, verification } of inputs) {
    const key = `${verification.report.chainId}:${verification.report.election.toLowerCase()}`;
    const other = seen.get(key);
    if (other !== undefined)
      return refuse("same-election-twice", `${label} and ${other} are the same election (${key})`);
    seen.set(key, label);
  }

  const verified: { label: string; report: VerificationReport; manifest: Manifest }[] = [];
  for (const { label, verification } of inputs) {
    const { report, manifest } = verification;
    const fault = report.findings.find((f) => f.severity === "fault");
    if (!report.holds || manifest === null)
      return refuse(
        "record-fails",
        `${label}: the record does not verify${fault === undefined ? "" : ` (${fault.check} ${fault.code}: ${fault.reason})`}`,
      );
    verified.push({ label, report, manifest });
  }

  // The shared contests, and the same rules wherever a contest is shared.
  const holders = new Map<string, { label: string; contest: Contest; manifest: Manifest }[]>();
  for (const { label, manifest } of verified)
    for (const contest of manifest.contests) {
      const list = holders.get(contest.id) ?? [];
      list.push({ label, contest, manifest });
      holders.set(contest.id, list);
    }
  const shared = [...holders].filter(([, list]) => list.length >= 2);
  if (shared.length === 0) return refuse("nothing-shared", "the records share no contest");
  for (const [id, list] of shared) {
    const [first, ...rest] = list;
    for (const other of rest) {
      if (canonicalJson(other.contest) !== canonicalJson(first.contest))
        return refuse(
          "contest-differs",
          `contest ${id} is not the same in ${first.label} and ${other.label} (options, selections or titles differ)`,
        );
      const a = rulesOf(first.manifest);
      const b = rulesOf(other.manifest);
      if (canonicalJson(a) !== canonicalJson(b))
        return refuse(
          "rules-differ",
          `contest ${id}: ${first.label} runs under ${canonicalJson(a)}, ${other.label} under ${canonicalJson(b)}`,
        );
    }
  }

  for (const { label, report } of verified)
    if (report.result.own === null || report.result.matches !== true || report.tally === null)
      return refuse(
        "no-verified-result",
        `${label}: ${report.result.published === null ? "no result is published" : "the published result is not the recomputed one"}`,
      );

  const contests: CombinedTally["contests"] = {};
  for (const [id, list] of shared) {
    const options = Object.fromEntries(list[0].contest.options.map((o) => [o.id, 0]));
    for (const { label } of list) {
      const own = verified.find((v) => v.label === label)!.report.result.own!;
      for (const option of list[0].contest.options) options[option.id] += own[id][option.id];
    }
    contests[id] = { elections: list.length, options };
  }
  const tally = normalizeCombinedTally({
    version: COMBINED_TALLY_VERSION,
    elections: verified.map(({ report }) => ({
      chainId: report.chainId,
      election: report.election,
      tallyHash: report.tally!.hash,
    })),
    contests,
  });
  const bytes = encodeCombinedTally(tally);
  return {
    ok: true,
    tally,
    bytes: new TextDecoder().decode(bytes),
    hash: toHex(combinedTallyHash(bytes)),
    elections: verified.map(({ label, report, manifest }) => ({
      label,
      chainId: report.chainId,
      election: report.election.toLowerCase(),
      tallyHash: report.tally!.hash,
      shared: manifest.contests.map((c) => c.id).filter((id) => holders.get(id)!.length >= 2),
    })),
  };
}
