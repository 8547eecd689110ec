import type { Hex } from "viem";
import type { Address, ElectionContext } from "../protocol/context";
import type { ExclusionCode } from "../protocol/counting";
import type { Manifest } from "../protocol/manifest";
import type { ElectionRecord } from "../protocol/record";
import type { Aggregate, DecryptionShare, TallyResult } from "../protocol/tally";
import type { CanonicalTally } from "../protocol/tally-hash";
import type { CheckName, Finding } from "./findings";
import type { BallotInspection } from "./inspection";
import type { LedgerFold } from "./ledger-fold";
import type { CancellationCheck, ReconciliationRow } from "./reconciliation";
import type { RunningAggregate } from "./result";

/** The types the verification takes and gives (docs/record.md, "What audit verify checks"). */

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

/** Everything of the record but its three long lists (ballots, issuances, rejections). */
export type RecordHeader = Omit<ElectionRecord, "ballots" | "issuances" | "rejections">;

export interface IssuanceSummary {
  /** Credentials issued per ballot style. */
  perStyle: ReadonlyMap<number, number>;
  /** voterIdHash values journaled more than once (the contract refuses it). */
  duplicates: readonly Hex[];
  /** The first issuance of each journaled voterIdHash (lower case), for the reconciliation (V10). */
  keys: ReadonlyMap<string, { style: number; blockNumber: string }>;
}

export interface VerificationInput {
  header: RecordHeader;
  /** Every recorded ballot, folded in chain order (ledger-fold.ts). */
  ledger: LedgerFold;
  issuance: IssuanceSummary;
  /** Ballots the contract rejected (BallotRejected), per reason name. */
  rejectedByContract: ReadonlyMap<string, number>;
  /** The recovered signer of each attestation (recoverAttestationSigners), in record order. */
  attestationSigners: readonly (Address | null)[];
  /** The bytes of the given recorded ballots (asked for the counted ones, to aggregate them). */
  ballotBytes(indices: readonly number[]): Iterable<Uint8Array>;
  /** Each cancellation of header.channels, checked in order (reconciliation.ts inspectCancellations). */
  cancellationChecks: readonly CancellationCheck[];
}

export interface VerificationOptions {
  /**
   * Aggregate the counted ballots and compute the tally even before any
   * decryption share is posted (audit and trustees: yes; the observer: once voting closed).
   */
  computeTally?: boolean;
  /**
   * The aggregate of the last verification, brought up to date with only the
   * ballots counted or no longer counted since (the observer keeps it between rounds).
   */
  runningAggregate?: RunningAggregate;
}

export type CheckStatus = "holds" | "fails" | "pending";

export type Stage = "invalid" | "key-ceremony" | "open" | "tallying" | "result-published";

/**
 * holds: no finding at all; holds-with-warnings: no fault, some warnings
 * (not "everything holds"); fails: at least one fault.
 */
export type Verdict = "holds" | "holds-with-warnings" | "fails";

export type LedgerVerdict =
  | { index: number; status: "counted" }
  /** supersededBy: the later ballot that counts, or null when the voter cancelled at a precinct (protocol.md 11.4). */
  | { index: number; status: "superseded"; supersededBy: number | null }
  | { index: number; status: "excluded"; code: ExclusionCode; reason: string };

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
  /** True when no check found a fault (warnings may remain: see verdict). */
  holds: boolean;
  verdict: Verdict;
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
  /** One person, one channel per district (V10, protocol.md 11.6). */
  reconciliation: ReconciliationRow[];
  /** The observer's canonical tally: null before the joint key or when the tally was not computed. */
  tally: { canonical: CanonicalTally; bytes: string; hash: Hex } | null;
  result: {
    published: { resultHash: Hex; result: string } | null;
    own: TallyResult | null;
    /** Whether the published result is the recomputed one; null when nothing to compare. */
    matches: boolean | null;
  };
}

/** What the tally step computed: the aggregate of the counted ballots and the shares that count. */
export interface TallyOutcome {
  aggregate: Aggregate;
  aggregateHash: Hex;
  /** The shares that pass V7, in trustee order. */
  validShares: DecryptionShare[];
  /** Per posted share: whether it counts and, if not, the finding's reason. */
  shareVerdicts: { trusteeIndex: number; valid: boolean; reason?: string }[];
  own: TallyResult | null;
  matches: boolean | null;
}

export interface Verification {
  report: VerificationReport;
  /** Per recorded ballot, in chain order (not part of the printed report). */
  verdicts: LedgerVerdict[];
  context: ElectionContext | null;
  manifest: Manifest | null;
  /** Null when the tally was not computed (no context, or not asked for). */
  tally: TallyOutcome | null;
}
