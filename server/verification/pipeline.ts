import type { Hex } from "viem";
import { toHex } from "../protocol/primitives/bytes";
import { aggregateHash } from "../protocol/tally";
import { canonicalTally, encodeTally, tallyHash } from "../protocol/tally-hash";
import { ZERO_RUNNING_HASH } from "../protocol/running-hash";
import { checkAttestations } from "./attestations";
import { checkBallots } from "./ballots";
import { CHECK_NAMES, Findings, type CheckName } from "./findings";
import { checkIssuance } from "./issuance";
import { checkLedger } from "./ledger";
import { cancelledNullifiers, checkReconciliation, type ReconciliationRow } from "./reconciliation";
import type {
  CheckStatus,
  LedgerVerdict,
  RecordHeader,
  Stage,
  StyleSummary,
  TallyOutcome,
  Verification,
  VerificationInput,
  VerificationOptions,
  VerificationReport,
} from "./report";
import { aggregateCounted, checkResult } from "./result";
import { deriveRules } from "./rules";
import { checkDecryptionShares } from "./shares";

/**
 * The one verification of an election (docs/protocol.md section 10), run by
 * the observer (over its SQLite index, as the chain grows), `audit verify`
 * (over an exported record, offline), every trustee before it decrypts and
 * the commission before it publishes (over the record read from the chain):
 * V1 manifest, V2 key ceremony, V3 registrar keys (rules.ts derives the
 * ElectionRules from these three), V4 ledger, V5 ballots and the counting
 * rules, V6 issuance, V7 decryption shares, V8 tally and result, V9
 * attestations. Pure: no I/O, no clock; the per-ballot checks arrive already
 * made (inspection.ts) and folded (ledger-fold.ts: the observer's fold grows
 * from round to round), and the bytes of counted ballots are asked for only
 * when the tally is computed.
 */
function stageOf(header: RecordHeader, hasContext: boolean, hasManifest: boolean): Stage {
  if (!hasManifest) return "invalid";
  if (header.result !== null) return "result-published";
  if (header.decryptionShares.length > 0) return "tallying";
  if (!hasContext && !header.ceremonyRounds.some((r) => r.jointKey !== null)) return "key-ceremony";
  return "open";
}

export function verifyElection(input: VerificationInput, options: VerificationOptions = {}): Verification {
  const { header } = input;
  const findings = new Findings();
  const derived = deriveRules(header, findings);
  const { manifest } = derived;
  const context = derived.rules?.context ?? null;

  let verdicts: LedgerVerdict[] = [];
  let runningHash: Hex = ZERO_RUNNING_HASH;
  let styles: StyleSummary[] = [];
  let reconciliation: ReconciliationRow[] = [];
  let tally: TallyOutcome | null = null;
  let canonical: VerificationReport["tally"] = null;
  const fold = input.ledger;
  const cancelled = cancelledNullifiers(header.channels);
  if (manifest !== null) {
    runningHash = checkLedger(header, fold, context, findings);
    if (context === null && fold.size > 0)
      findings.fault(
        "V4.2",
        "ballots-without-context",
        "ledger",
        `${fold.size} ballots recorded but no valid joint key to check them against`,
      );
  }
  if (context !== null && manifest !== null) {
    verdicts = checkBallots(fold, cancelled, context, findings);
    const perStyle = fold.styleCounts(cancelled);
    styles = checkIssuance(manifest, input, perStyle, findings);
    reconciliation = checkReconciliation(manifest, input, perStyle, findings);
    const wantTally = options.computeTally || header.decryptionShares.length > 0 || header.result !== null;
    if (wantTally) {
      const aggregate = aggregateCounted(input, context, verdicts, findings, options.runningAggregate);
      const ownAggregateHash = toHex(aggregateHash(context, aggregate));
      const shares = checkDecryptionShares(
        header.decryptionShares,
        context,
        derived.publicKeyShares,
        aggregate,
        ownAggregateHash,
        findings,
      );
      const result = checkResult(header, context, aggregate, shares.valid, findings);
      tally = {
        aggregate,
        aggregateHash: ownAggregateHash,
        validShares: shares.valid,
        shareVerdicts: shares.verdicts,
        ...result,
      };
      const canonicalObject = canonicalTally(context, {
        verdicts: verdicts.map((v) => (v.status === "excluded" ? { status: v.status, code: v.code } : v)),
        runningHash,
        aggregateHash: aggregateHash(context, aggregate),
        result: result.own,
      });
      const bytes = encodeTally(canonicalObject);
      canonical = {
        canonical: canonicalObject,
        bytes: new TextDecoder().decode(bytes),
        hash: toHex(tallyHash(context, bytes)),
      };
    }
  }
  checkAttestations(header, input.attestationSigners, canonical?.hash ?? null, findings);

  const faults = findings.faults;
  const checks = Object.fromEntries(CHECK_NAMES.map((name) => [name, "holds" as CheckStatus])) as Record<
    CheckName,
    CheckStatus
  >;
  if (manifest === null) for (const name of CHECK_NAMES) checks[name] = "pending";
  if (context === null) {
    for (const name of ["ballots", "issuance", "decryptionShares", "result", "reconciliation"] as CheckName[])
      checks[name] = "pending";
    if (!header.ceremonyRounds.some((r) => r.jointKey !== null)) checks.ceremony = "pending";
  }
  if (header.decryptionShares.length === 0) checks.decryptionShares = "pending";
  if (header.result === null) checks.result = "pending";
  if (header.attestations.length === 0) checks.attestations = "pending";
  for (const finding of findings.list) if (finding.severity === "fault") checks[finding.kind] = "fails";

  // The ballots' figures: of the verdicts when the context allows them (none otherwise), from the fold.
  const excluded: Record<string, number> = {};
  let countedTotal = 0;
  let superseded = 0;
  if (verdicts.length > 0) {
    for (const { position } of fold.excluded) {
      const verdict = verdicts[position];
      if (verdict.status === "excluded") excluded[verdict.code] = (excluded[verdict.code] ?? 0) + 1;
    }
    countedTotal = fold.countedBallots(cancelled);
    superseded = fold.size - fold.excluded.length - countedTotal;
  }
  const revotes = fold.size - fold.distinctNullifiers;

  const report: VerificationReport = {
    reportVersion: 1,
    election: header.election,
    chainId: header.chainId,
    throughBlock: header.throughBlock,
    holds: faults.length === 0,
    verdict: faults.length > 0 ? "fails" : findings.list.length > 0 ? "holds-with-warnings" : "holds",
    stage: stageOf(header, context !== null, manifest !== null),
    checks,
    findings: findings.list,
    ballots: {
      recorded: fold.size,
      counted: countedTotal,
      superseded,
      excluded,
      revotes,
      rejectedByContract: Object.fromEntries(input.rejectedByContract),
    },
    styles,
    reconciliation,
    tally: canonical,
    result: {
      published: header.result,
      own: tally?.own ?? null,
      matches: tally?.matches ?? null,
    },
  };
  return { report, verdicts, context, manifest, tally };
}
