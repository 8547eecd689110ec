import type { Hex } from "viem";
import { decodeBallot, trackingCode } from "../protocol/ballot";
import { verifyCeremony, type CeremonyRecord } from "../protocol/ceremony";
import { ceremonyBaseHash, electionContext, type Address, type ElectionContext } from "../protocol/context";
import { applyCountingRules, type CountInput } from "../protocol/counting";
import { checkRegistrarModulus } from "../protocol/credential";
import { manifestHash, parseManifestBytes, type Manifest } from "../protocol/manifest";
import { fromHex, hexToBytes, toHex, utf8 } from "../protocol/primitives/bytes";
import type { Point } from "../protocol/primitives/group";
import type { ElectionRecord, RecordCeremonyRound } from "../protocol/record";
import { ZERO_RUNNING_HASH } from "../protocol/running-hash";
import {
  aggregateHash,
  Aggregator,
  computeTally,
  verifyDecryptionShare,
  verifyPublishedResult,
  type Aggregate,
  type DecryptionShare,
  type TallyResult,
} from "../protocol/tally";
import {
  canonicalTally,
  encodeTally,
  tallyHash,
  verdictsHash,
  type CanonicalTally,
} from "../protocol/tally-hash";
import type { BallotInspection } from "./inspection";

/**
 * The one verification of an election, shared by the observer (over its
 * SQLite index, as the chain grows) and `audit verify` (over an exported
 * record, offline). Everything but the per-ballot checks (inspection.ts) is
 * here: manifest hash, key ceremony, registrar keys, ballot bytes against the
 * events and the running hash, the counting rules, the issuance journal,
 * decryption shares, the observer's own tally and the published result.
 * Pure: no I/O, no clock; the ballot bytes of counted ballots are asked for
 * only when the tally is computed.
 */

export type FindingKind =
  | "record"
  | "manifest"
  | "ceremony"
  | "registrar-key"
  | "running-hash"
  | "ballot"
  | "nullifier-sequence"
  | "issuance"
  | "decryption-share"
  | "tally"
  | "result"
  | "attestation";

export interface Finding {
  kind: FindingKind;
  /** A fault makes the verification fail; a warning is reported only. */
  severity: "fault" | "warning";
  /** Machine-readable reason, e.g. "invalid-credential", "bytes-mismatch", "more-counted-than-issued". */
  code: string;
  /** What it concerns, for people: "ballot 12 (tracking code ...)", "trustee 3", "style 1 (north)". */
  subject: string;
  reason: string;
  ballot?: number;
  trustee?: number;
  style?: number;
}

/** One recorded ballot without its bytes: the BallotCast event and the inspection of its calldata. */
export interface LedgerBallot {
  index: number;
  nullifier: Hex;
  sequence: string;
  ballotHash: Hex;
  runningHash: Hex;
  timestamp: number;
  inspection: BallotInspection;
}

export type RecordHeader = Omit<ElectionRecord, "ballots" | "issuances" | "rejections">;

export interface IssuanceSummary {
  /** Credentials issued per ballot style. */
  perStyle: ReadonlyMap<number, number>;
  /** voterIdHash values journaled more than once (the contract refuses it). */
  duplicates: readonly Hex[];
}

export interface VerificationInput {
  header: RecordHeader;
  /** Every recorded ballot, in chain order. */
  ballots: readonly LedgerBallot[];
  issuance: IssuanceSummary;
  /** Ballots the contract rejected (BallotRejected), per reason name. */
  rejectedByContract: ReadonlyMap<string, number>;
  /** The bytes of the given recorded ballots (asked for the counted ones, to aggregate them). */
  ballotBytes(indices: readonly number[]): Iterable<Uint8Array>;
}

export interface VerificationOptions {
  /**
   * Aggregate the counted ballots and compute the tally even before any
   * decryption share is posted (audit: yes; the observer: once voting closed).
   */
  computeTally?: boolean;
  /** The last aggregate computed, by verdictsHash of the counted set (the observer keeps it between rounds). */
  aggregateCache?: Map<string, Aggregate>;
}

export type CheckName =
  | "manifest"
  | "ceremony"
  | "registrarKeys"
  | "runningHash"
  | "ballots"
  | "issuance"
  | "decryptionShares"
  | "result";
export type CheckStatus = "holds" | "fails" | "pending";

export type Stage = "invalid" | "key-ceremony" | "open" | "tallying" | "result-published";

export type LedgerVerdict =
  | { index: number; status: "counted" }
  | { index: number; status: "superseded"; supersededBy: number }
  | { index: number; status: "excluded"; code: string; reason: string };

export interface StyleSummary {
  style: number;
  id: string;
  issued: number;
  /** Ballots recorded on chain for this style (re-votes included). */
  recorded: number;
  /** Distinct voters (nullifiers) with a recorded ballot of this style. */
  voters: number;
  counted: number;
}

export interface VerificationReport {
  reportVersion: 1;
  election: Address;
  chainId: string;
  throughBlock: string;
  /** True when no check found a fault. */
  holds: boolean;
  stage: Stage;
  checks: Record<CheckName, CheckStatus>;
  findings: Finding[];
  ballots: {
    recorded: number;
    counted: number;
    superseded: number;
    excluded: Record<string, number>;
    /** Recorded ballots that replace an earlier ballot of the same voter. */
    revotes: number;
    rejectedByContract: Record<string, number>;
  };
  styles: StyleSummary[];
  /** The observer's canonical tally: null before the joint key or when the tally was not computed. */
  tally: { canonical: CanonicalTally; bytes: string; hash: Hex } | null;
  result: {
    published: { resultHash: Hex; result: string } | null;
    own: TallyResult | null;
    /** Whether the published result is the recomputed one; null when nothing to compare. */
    matches: boolean | null;
  };
}

export interface Verification {
  report: VerificationReport;
  /** Per recorded ballot, in chain order (not part of the printed report). */
  verdicts: LedgerVerdict[];
  context: ElectionContext | null;
  manifest: Manifest | null;
}

const CHECK_OF_KIND: Record<FindingKind, CheckName> = {
  record: "ballots",
  manifest: "manifest",
  ceremony: "ceremony",
  "registrar-key": "registrarKeys",
  "running-hash": "runningHash",
  ballot: "ballots",
  "nullifier-sequence": "ballots",
  issuance: "issuance",
  "decryption-share": "decryptionShares",
  tally: "result",
  result: "result",
  attestation: "result",
};

/** Counts of the issuance journal, from the full list (audit) or from the observer's index. */
export function summarizeIssuances(
  issuances: readonly { voterIdHash: Hex; style: number }[],
): IssuanceSummary {
  const perStyle = new Map<number, number>();
  const seen = new Set<string>();
  const duplicates: Hex[] = [];
  for (const issuance of issuances) {
    perStyle.set(issuance.style, (perStyle.get(issuance.style) ?? 0) + 1);
    const key = issuance.voterIdHash.toLowerCase();
    if (seen.has(key)) duplicates.push(issuance.voterIdHash);
    seen.add(key);
  }
  return { perStyle, duplicates };
}

export function countByReason(rejections: readonly { reason: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rejections) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  return counts;
}

class Findings {
  readonly list: Finding[] = [];
  fault(kind: FindingKind, code: string, subject: string, reason: string, extra: Partial<Finding> = {}) {
    this.list.push({ kind, severity: "fault", code, subject, reason, ...extra });
  }
  warning(kind: FindingKind, code: string, subject: string, reason: string, extra: Partial<Finding> = {}) {
    this.list.push({ kind, severity: "warning", code, subject, reason, ...extra });
  }
}

const sameHex = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

// ---------------------------------------------------------------- manifest

function checkManifest(header: RecordHeader, findings: Findings): Manifest | null {
  const bytes = fromHex(header.manifest);
  const parsed = bytes === null ? null : parseManifestBytes(bytes);
  if (parsed === null || !parsed.ok) {
    findings.fault(
      "manifest",
      "unparsable",
      "manifest",
      `the manifest posted with ElectionCreated does not parse${parsed && !parsed.ok ? `: ${parsed.reason}` : ""}`,
    );
    return null;
  }
  const manifest = parsed.manifest;
  const hash = toHex(manifestHash(manifest));
  if (!sameHex(hash, header.manifestHash))
    findings.fault(
      "manifest",
      "hash-mismatch",
      "manifest",
      `H32(manifest) of the posted bytes is ${hash}, the contract holds ${header.manifestHash}`,
    );
  const expectations: [string, unknown, unknown][] = [
    ["trustee count", manifest.trustees.count, header.trusteeCount],
    ["threshold", manifest.trustees.threshold, header.threshold],
    ["ballot style count", manifest.ballotStyles.length, header.ballotStyleCount],
    ["re-vote policy", manifest.revotePolicy, header.revotePolicy],
    ["opening time", manifest.votingWindow.opensAt, header.opensAt],
  ];
  for (const [what, inManifest, onChain] of expectations)
    if (inManifest !== onChain)
      findings.fault(
        "manifest",
        "parameters-mismatch",
        "manifest",
        `${what}: the manifest says ${String(inManifest)}, the contract ${String(onChain)}`,
      );
  if (header.closesAt < manifest.votingWindow.closesAt)
    findings.fault(
      "manifest",
      "parameters-mismatch",
      "manifest",
      `closing time: the contract closes at ${header.closesAt}, before the manifest's ${manifest.votingWindow.closesAt}`,
    );
  return manifest;
}

// ---------------------------------------------------------------- ceremony

interface CeremonyOutcome {
  context: ElectionContext | null;
  publicKeyShares: Point[];
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
    what: string,
  ): (T | undefined)[] =>
    Array.from({ length: header.trusteeCount }, (_, i) => {
      const matching = items.filter((item) => item.trusteeIndex === i + 1);
      if (matching.length > 1)
        findings[severity](
          "ceremony",
          `duplicate-${what}`,
          `trustee ${i + 1}`,
          `${what} posted twice in round ${round.round}`,
          {
            trustee: i + 1,
          },
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
    keys: byIndex(round.keys, "keys").map((k) =>
      k === undefined
        ? undefined
        : {
            commitments: hexToBytes(k.commitments),
            proofs: hexToBytes(k.proofs),
            boxKey: hexToBytes(k.boxKey),
          },
    ),
    shares: byIndex(round.shares, "shares").map((s) =>
      s === undefined ? undefined : hexToBytes(s.encryptedShares),
    ),
    complaints: round.complaints.map((c) => ({ ...c, evidence: hexToBytes(c.evidence) })),
  };
}

function checkCeremony(header: RecordHeader, manifest: Manifest, findings: Findings): CeremonyOutcome | null {
  const finished = header.ceremonyRounds.filter((r) => r.jointKey !== null);
  if (finished.length > 1)
    findings.fault(
      "ceremony",
      "several-joint-keys",
      "ceremony",
      "more than one ceremony round published a joint key",
    );
  const final = finished[0];
  for (const round of header.ceremonyRounds) {
    if (round === final || round.complaints.length === 0) continue;
    // An abandoned round: say how its complaints are judged, for the record.
    const report = verifyCeremony(ceremonyRecordOf(header, manifest, round, findings, "warning"));
    for (const f of report.findings)
      if (f.kind.startsWith("complaint"))
        findings.warning("ceremony", f.kind, `trustee ${f.trustee}`, `round ${round.round}: ${f.detail}`, {
          trustee: f.trustee,
        });
  }
  if (final === undefined) return null;
  const report = verifyCeremony(ceremonyRecordOf(header, manifest, final, findings, "fault"));
  for (const f of report.findings)
    findings.fault("ceremony", f.kind, `trustee ${f.trustee}`, `round ${final.round}: ${f.detail}`, {
      trustee: f.trustee,
    });
  const confirmed = new Set<number>();
  for (const c of final.confirmations) {
    confirmed.add(c.trusteeIndex);
    if (!sameHex(c.jointKey, final.jointKey!))
      findings.fault(
        "ceremony",
        "confirmation-mismatch",
        `trustee ${c.trusteeIndex}`,
        `confirmed ${c.jointKey}, the published joint key is ${final.jointKey}`,
        { trustee: c.trusteeIndex },
      );
  }
  if (confirmed.size !== header.trusteeCount)
    findings.fault(
      "ceremony",
      "confirmations-missing",
      "ceremony",
      `${confirmed.size} of ${header.trusteeCount} trustees confirmed the joint key`,
    );
  if (report.jointKey === null) return { context: null, publicKeyShares: [] };
  if (!sameHex(toHex(report.jointKey), final.jointKey!))
    findings.fault(
      "ceremony",
      "joint-key-mismatch",
      "ceremony",
      `the commitments give the joint key ${toHex(report.jointKey)}, the contract published ${final.jointKey}`,
    );
  const context = electionContext(
    { chainId: BigInt(header.chainId), election: header.election },
    manifest,
    report.jointKey,
    report.commitments,
  );
  return { context, publicKeyShares: report.publicKeyShares };
}

// ---------------------------------------------------------------- ballots

function ballotSubject(context: ElectionContext, ballot: LedgerBallot): string {
  let code = "";
  try {
    code = ` (tracking code ${trackingCode(context, ballot.ballotHash)})`;
  } catch {
    code = "";
  }
  return `ballot ${ballot.index}${code}`;
}

/**
 * The counting rules (counting.ts) over recorded ballots, after setting aside
 * the ballots whose calldata bytes are not the ones the contract hashed. A
 * ballot's verdict depends only on the ballots under the same recorded
 * nullifier, so `audit track` may pass just those.
 */
export function verdictsOf(ballots: readonly LedgerBallot[]): LedgerVerdict[] {
  const inputs: CountInput<LedgerBallot>[] = [];
  for (const ballot of ballots) {
    if (!sameHex(ballot.inspection.computedHash, ballot.ballotHash)) continue;
    const check = ballot.inspection.check;
    inputs.push({
      index: ballot.index,
      nullifier: ballot.nullifier,
      check: check.ok ? { ok: true, nullifier: check.nullifier, ballot } : check,
    });
  }
  const byIndex = new Map(applyCountingRules(inputs).verdicts.map((v) => [v.index, v]));
  return ballots.map(
    (ballot) =>
      byIndex.get(ballot.index) ?? {
        index: ballot.index,
        status: "excluded",
        code: "bytes-mismatch",
        reason: "the ballot bytes are not the ones the contract hashed",
      },
  );
}

interface BallotOutcome {
  verdicts: LedgerVerdict[];
  /** The running hash recomputed over every ballot's calldata. */
  runningHash: Hex;
}

function checkBallots(input: VerificationInput, context: ElectionContext, findings: Findings): BallotOutcome {
  const { header, ballots } = input;
  ballots.forEach((ballot, position) => {
    if (ballot.index !== position)
      findings.fault("record", "ballot-index", `ballot ${ballot.index}`, `found at position ${position}`, {
        ballot: ballot.index,
      });
  });
  if (header.ballotCount !== ballots.length)
    findings.fault(
      "running-hash",
      "count-mismatch",
      "ledger",
      `the contract counts ${header.ballotCount} ballots, the record has ${ballots.length} BallotCast events`,
    );

  // Bytes against the events, and the running hash recomputed from the calldata.
  let diverged = false;
  for (const ballot of ballots) {
    const { inspection } = ballot;
    if (!sameHex(inspection.computedHash, ballot.ballotHash)) {
      findings.fault(
        "running-hash",
        "bytes-mismatch",
        ballotSubject(context, ballot),
        `the calldata bytes hash to ${inspection.computedHash}, the BallotCast event says ${ballot.ballotHash}`,
        { ballot: ballot.index },
      );
    }
    if (!diverged && !sameHex(inspection.computedRunningHash, ballot.runningHash)) {
      diverged = true;
      findings.fault(
        "running-hash",
        "diverges",
        ballotSubject(context, ballot),
        `the running hash recomputed from the calldata is ${inspection.computedRunningHash}, the event says ${ballot.runningHash}`,
        { ballot: ballot.index },
      );
    }
  }
  const runningHash =
    ballots.length === 0 ? ZERO_RUNNING_HASH : ballots[ballots.length - 1].inspection.computedRunningHash;
  if (!sameHex(runningHash, header.runningHash))
    findings.fault(
      "running-hash",
      "contract-mismatch",
      "ledger",
      `the running hash recomputed from the calldata is ${runningHash}, the contract holds ${header.runningHash}`,
    );

  // Sequence numbers per nullifier, as the contract should have enforced them.
  const latest = new Map<string, bigint>();
  for (const ballot of ballots) {
    const key = ballot.nullifier.toLowerCase();
    const sequence = BigInt(ballot.sequence);
    const previous = latest.get(key);
    if (previous !== undefined && header.revotePolicy === "none")
      findings.fault(
        "nullifier-sequence",
        "revote-not-allowed",
        ballotSubject(context, ballot),
        `a second ballot under nullifier ${ballot.nullifier}, the policy allows none`,
        { ballot: ballot.index },
      );
    else if (sequence < 1n || (previous !== undefined && sequence <= previous))
      findings.fault(
        "nullifier-sequence",
        "sequence-not-higher",
        ballotSubject(context, ballot),
        `sequence ${sequence} after ${previous ?? 0n} under nullifier ${ballot.nullifier}`,
        { ballot: ballot.index },
      );
    latest.set(key, previous === undefined || sequence > previous ? sequence : previous);
  }

  const verdicts = verdictsOf(ballots);
  for (const verdict of verdicts) {
    if (verdict.status !== "excluded" || verdict.code === "bytes-mismatch") continue;
    const ballot = ballots[verdict.index] ?? ballots.find((b) => b.index === verdict.index)!;
    findings.fault("ballot", verdict.code, ballotSubject(context, ballot), verdict.reason, {
      ballot: verdict.index,
    });
  }
  return { verdicts, runningHash };
}

// ---------------------------------------------------------------- issuance and turnout

function styleSummaries(
  manifest: Manifest,
  input: VerificationInput,
  verdicts: readonly LedgerVerdict[],
  findings: Findings,
): StyleSummary[] {
  const summaries: StyleSummary[] = manifest.ballotStyles.map((style, i) => ({
    style: i,
    id: style.id,
    issued: input.issuance.perStyle.get(i) ?? 0,
    recorded: 0,
    voters: 0,
    counted: 0,
  }));
  const votersPerStyle = summaries.map(() => new Set<string>());
  for (const ballot of input.ballots) {
    const style = ballot.inspection.styleIndex;
    if (style === null || summaries[style] === undefined) continue;
    summaries[style].recorded++;
    votersPerStyle[style].add(ballot.nullifier.toLowerCase());
  }
  votersPerStyle.forEach((voters, i) => (summaries[i].voters = voters.size));
  for (const verdict of verdicts) {
    if (verdict.status !== "counted") continue;
    const style = input.ballots[verdict.index]?.inspection.styleIndex;
    if (style !== null && style !== undefined && summaries[style] !== undefined) summaries[style].counted++;
  }
  for (const [style, count] of input.issuance.perStyle)
    if (summaries[style] === undefined)
      findings.fault(
        "issuance",
        "unknown-style",
        `style ${style}`,
        `${count} credentials journaled for an unknown style`,
        {
          style,
        },
      );
  for (const duplicate of input.issuance.duplicates)
    findings.fault(
      "issuance",
      "duplicate-issuance",
      `voter ${duplicate}`,
      "a second credential journaled for one voter id hash",
    );
  for (const summary of summaries)
    if (summary.counted > summary.issued)
      findings.fault(
        "issuance",
        "more-counted-than-issued",
        `style ${summary.style} (${summary.id})`,
        `${summary.counted} ballots counted, ${summary.issued} credentials issued`,
        { style: summary.style },
      );
  return summaries;
}

// ---------------------------------------------------------------- tally

interface TallyOutcome {
  aggregate: Aggregate;
  own: TallyResult | null;
  matches: boolean | null;
}

function aggregateCounted(
  input: VerificationInput,
  context: ElectionContext,
  verdicts: readonly LedgerVerdict[],
  findings: Findings,
): Aggregate {
  const indices = verdicts.filter((v) => v.status === "counted").map((v) => v.index);
  const aggregator = new Aggregator(context.manifest);
  let position = 0;
  for (const bytes of input.ballotBytes(indices)) {
    const decoded = decodeBallot(context, bytes);
    if (decoded.ok) aggregator.add(decoded.ballot);
    else
      findings.fault("tally", "counted-undecodable", `ballot ${indices[position]}`, decoded.reason, {
        ballot: indices[position],
      });
    position++;
  }
  return aggregator.result();
}

/** Names the options where a published result differs from the recomputed one. */
function resultDifferences(own: TallyResult, publishedText: string): string {
  let published: unknown;
  try {
    published = JSON.parse(publishedText);
  } catch {
    return "the published result is not JSON";
  }
  const differences: string[] = [];
  for (const [contest, options] of Object.entries(own))
    for (const [option, count] of Object.entries(options)) {
      const other = (published as Record<string, Record<string, unknown>> | null)?.[contest]?.[option];
      if (other !== count)
        differences.push(`${contest}/${option}: published ${String(other)}, recomputed ${count}`);
    }
  return differences.length === 0
    ? "the published bytes are not the canonical encoding of the recomputed result"
    : differences.join("; ");
}

function checkTally(
  input: VerificationInput,
  context: ElectionContext,
  publicKeyShares: readonly Point[],
  aggregate: Aggregate,
  findings: Findings,
): TallyOutcome {
  const { header } = input;
  const ownHash = aggregateHash(context, aggregate);
  const valid: DecryptionShare[] = [];
  const seen = new Set<number>();
  for (const posted of header.decryptionShares) {
    const trustee = posted.trusteeIndex;
    const subject = `trustee ${trustee}`;
    if (seen.has(trustee)) {
      findings.fault("decryption-share", "duplicate", subject, "a second decryption share", { trustee });
      continue;
    }
    seen.add(trustee);
    const publicShare = publicKeyShares[trustee - 1];
    if (publicShare === undefined) {
      findings.fault("decryption-share", "unknown-trustee", subject, "no public key share for this index", {
        trustee,
      });
      continue;
    }
    if (!sameHex(posted.aggregateHash, toHex(ownHash)))
      findings.fault(
        "decryption-share",
        "aggregate-mismatch",
        subject,
        `decrypts aggregate ${posted.aggregateHash}, the counted ballots aggregate to ${toHex(ownHash)}`,
        { trustee },
      );
    const bytes = fromHex(posted.share);
    const verified =
      bytes === null
        ? { ok: false as const, reason: "share is not hex" }
        : verifyDecryptionShare(context, aggregate, trustee, publicShare, bytes);
    if (verified.ok) valid.push(verified.share);
    else findings.fault("decryption-share", "invalid-share", subject, verified.reason, { trustee });
  }
  let own: TallyResult | null = null;
  const { threshold } = context.manifest.trustees;
  if (valid.length >= threshold) {
    const tally = computeTally(context, aggregate, valid);
    if (tally.ok) own = tally.result;
    else findings.fault("tally", "not-decryptable", "tally", tally.reason);
  }
  let matches: boolean | null = null;
  if (header.result !== null) {
    if (valid.length < threshold) {
      matches = false;
      findings.fault(
        "result",
        "not-verifiable",
        "result",
        `a result is published with ${valid.length} valid decryption shares, ${threshold} are needed`,
      );
    } else {
      const published = utf8(header.result.result);
      const hash = fromHex(header.result.resultHash) ?? new Uint8Array();
      const checked = verifyPublishedResult(context, aggregate, valid, published, hash);
      matches = checked.ok;
      if (!checked.ok)
        findings.fault(
          "result",
          checked.reason.includes("hash") ? "hash-mismatch" : "mismatch",
          "result",
          own !== null && !checked.reason.includes("hash")
            ? `${checked.reason}: ${resultDifferences(own, header.result.result)}`
            : checked.reason,
        );
    }
  }
  return { aggregate, own, matches };
}

// ---------------------------------------------------------------- the whole

function stageOf(header: RecordHeader, context: ElectionContext | null, manifest: Manifest | null): Stage {
  if (manifest === null) return "invalid";
  if (header.result !== null) return "result-published";
  if (header.decryptionShares.length > 0) return "tallying";
  if (context === null && !header.ceremonyRounds.some((r) => r.jointKey !== null)) return "key-ceremony";
  return "open";
}

function checkRegistrarKeys(header: RecordHeader, findings: Findings): void {
  for (const key of header.registrarKeys) {
    const modulus = fromHex(key.modulus);
    const check =
      modulus === null ? { ok: false as const, reason: "not hex" } : checkRegistrarModulus(modulus);
    if (key.style >= header.ballotStyleCount)
      findings.fault(
        "registrar-key",
        "unknown-style",
        `style ${key.style}`,
        "a registrar key for an unknown style",
        {
          style: key.style,
        },
      );
    if (!check.ok)
      findings.fault("registrar-key", "invalid-modulus", `style ${key.style}`, check.reason, {
        style: key.style,
      });
  }
  for (let style = 0; style < header.ballotStyleCount; style++)
    if (!header.registrarKeys.some((k) => k.style === style))
      findings.warning(
        "registrar-key",
        "missing",
        `style ${style}`,
        "no registrar key: no credential can be issued",
        {
          style,
        },
      );
}

export interface ElectionRules {
  manifest: Manifest;
  context: ElectionContext;
  /** Registrar RSA modulus per ballot style, as posted. */
  registrarKeys: Map<number, Uint8Array>;
}

/**
 * What ballots are checked against (the same derivation verifyElection
 * makes): the manifest posted at creation and the context of the ceremony
 * round that published the joint key. Null while there is none, or when the
 * manifest or the trustees' keys do not decode.
 */
export function electionRulesOf(header: RecordHeader): ElectionRules | null {
  const findings = new Findings();
  const manifest = checkManifest(header, findings);
  const context = manifest === null ? null : (checkCeremony(header, manifest, findings)?.context ?? null);
  if (manifest === null || context === null) return null;
  const registrarKeys = new Map<number, Uint8Array>();
  for (const key of header.registrarKeys) {
    const modulus = fromHex(key.modulus);
    if (modulus !== null) registrarKeys.set(key.style, modulus);
  }
  return { manifest, context, registrarKeys };
}

export function verifyElection(input: VerificationInput, options: VerificationOptions = {}): Verification {
  const { header } = input;
  const findings = new Findings();
  const manifest = checkManifest(header, findings);
  const ceremony = manifest === null ? null : checkCeremony(header, manifest, findings);
  const context = ceremony?.context ?? null;
  if (manifest !== null) checkRegistrarKeys(header, findings);

  let verdicts: LedgerVerdict[] = [];
  let runningHash: Hex = ZERO_RUNNING_HASH;
  let styles: StyleSummary[] = [];
  let tally: TallyOutcome | null = null;
  let canonical: VerificationReport["tally"] = null;
  if (context !== null && manifest !== null) {
    ({ verdicts, runningHash } = checkBallots(input, context, findings));
    styles = styleSummaries(manifest, input, verdicts, findings);
    const wantTally = options.computeTally || header.decryptionShares.length > 0 || header.result !== null;
    if (wantTally) {
      const cacheKey = toHex(
        verdictsHash(
          context,
          verdicts.map((v) => v.status),
        ),
      );
      let aggregate = options.aggregateCache?.get(cacheKey);
      if (aggregate === undefined) {
        aggregate = aggregateCounted(input, context, verdicts, findings);
        options.aggregateCache?.clear();
        options.aggregateCache?.set(cacheKey, aggregate);
      }
      tally = checkTally(input, context, ceremony!.publicKeyShares, aggregate, findings);
      const canonicalObject = canonicalTally(context, {
        verdicts: verdicts.map((v) => (v.status === "excluded" ? { status: v.status, code: v.code } : v)),
        runningHash,
        aggregateHash: aggregateHash(context, tally.aggregate),
        result: tally.own,
      });
      const bytes = encodeTally(canonicalObject);
      canonical = {
        canonical: canonicalObject,
        bytes: new TextDecoder().decode(bytes),
        hash: toHex(tallyHash(context, bytes)),
      };
    }
  } else if (input.ballots.length > 0) {
    findings.fault(
      "record",
      "ballots-without-context",
      "ledger",
      `${input.ballots.length} ballots recorded but no valid joint key to check them against`,
    );
  }

  for (const attestation of header.attestations) {
    const subject = `observer ${attestation.observer}`;
    if (header.result !== null && !sameHex(attestation.resultHash, header.result.resultHash))
      findings.warning(
        "attestation",
        "other-result",
        subject,
        `attests result ${attestation.resultHash}, not the published one`,
      );
    if (canonical !== null && !sameHex(attestation.tallyHash, canonical.hash))
      findings.warning(
        "attestation",
        "tally-differs",
        subject,
        `attests tally ${attestation.tallyHash}, this verification computed ${canonical.hash}`,
      );
    if (!attestation.resultMatches)
      findings.warning(
        "attestation",
        "disputes-result",
        subject,
        "attests that the published result does not match",
      );
  }

  const faults = findings.list.filter((f) => f.severity === "fault");
  const checks = Object.fromEntries(
    (Object.keys(CHECK_ORDER) as CheckName[]).map((name) => [name, "holds" as CheckStatus]),
  ) as Record<CheckName, CheckStatus>;
  if (manifest === null) for (const name of Object.keys(checks) as CheckName[]) checks[name] = "pending";
  if (context === null) {
    for (const name of ["runningHash", "ballots", "issuance", "decryptionShares", "result"] as CheckName[])
      checks[name] = "pending";
    if (!header.ceremonyRounds.some((r) => r.jointKey !== null)) checks.ceremony = "pending";
  }
  if (header.decryptionShares.length === 0) checks.decryptionShares = "pending";
  if (header.result === null) checks.result = "pending";
  for (const fault of faults) checks[CHECK_OF_KIND[fault.kind]] = "fails";

  const excluded: Record<string, number> = {};
  let countedTotal = 0;
  let superseded = 0;
  for (const v of verdicts) {
    if (v.status === "counted") countedTotal++;
    else if (v.status === "superseded") superseded++;
    else excluded[v.code] = (excluded[v.code] ?? 0) + 1;
  }
  const seenNullifiers = new Set<string>();
  let revotes = 0;
  for (const ballot of input.ballots) {
    const key = ballot.nullifier.toLowerCase();
    if (seenNullifiers.has(key)) revotes++;
    seenNullifiers.add(key);
  }

  const report: VerificationReport = {
    reportVersion: 1,
    election: header.election,
    chainId: header.chainId,
    throughBlock: header.throughBlock,
    holds: faults.length === 0,
    stage: stageOf(header, context, manifest),
    checks,
    findings: findings.list,
    ballots: {
      recorded: input.ballots.length,
      counted: countedTotal,
      superseded,
      excluded,
      revotes,
      rejectedByContract: Object.fromEntries(input.rejectedByContract),
    },
    styles,
    tally: canonical,
    result: {
      published: header.result,
      own: tally?.own ?? null,
      matches: tally?.matches ?? null,
    },
  };
  return { report, verdicts, context, manifest };
}

const CHECK_ORDER: Record<CheckName, number> = {
  manifest: 0,
  ceremony: 1,
  registrarKeys: 2,
  runningHash: 3,
  ballots: 4,
  issuance: 5,
  decryptionShares: 6,
  result: 7,
};
