import type { Hex } from "viem";
import { CountingFold, type CountInput } from "../protocol/counting";
import { ZERO_RUNNING_HASH } from "../protocol/running-hash";
import { sameHex } from "./findings";
import type { LedgerBallot, LedgerVerdict, RecordHeader } from "./report";

type RevotePolicy = RecordHeader["revotePolicy"];

/**
 * What V4 to V6 and V10 need of the recorded ballots (docs/protocol.md 10.4 to
 * 10.6, 11.6), folded over them one ballot at a time in chain order, so that
 * an observer whose index grows by k ballots does O(k) work a round, not a
 * pass over every ballot. The findings are made from this state by
 * ledger.ts, ballots.ts, issuance.ts and reconciliation.ts. `audit verify`,
 * the trustees and the commission fold a record's ballots as their checks
 * come back (record.ts), so they keep no ballot. The state grows with the
 * voters (one entry per recorded nullifier, as the counting rules need) and
 * with the faulty ballots, not with the valid ones beyond one verdict each.
 */
interface VoterState {
  /** The highest sequence recorded so far under this nullifier (V5.8): a number while it is exact. */
  latestSequence: bigint | number;
  /** The ballot style of its recorded ballots, or their styles when they have several (null: none read). */
  styles: number | number[] | null;
  /** The style of its ballot that counts now, when one does. */
  countedStyle: number | null;
}

/** A sequence as a number while it is exact (most of them), else as a bigint. */
const compactSequence = (sequence: bigint): bigint | number =>
  sequence <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(sequence) : sequence;

export interface StyleCounts {
  /** Ballots recorded for the style (re-votes included). */
  recorded: number;
  /** Distinct recorded nullifiers among them. */
  voters: number;
  /** Ballots of the style that count. */
  counted: number;
}

/** A ballot out of sequence under its nullifier (V5.8). */
export interface SequenceFault {
  ballot: LedgerBallot;
  code: "revote-not-allowed" | "sequence-not-higher";
  sequence: bigint;
  previous: bigint | undefined;
}

export class LedgerFold {
  /** A fold of no ballot yet, for an election of this re-vote policy. */
  constructor(readonly policy: RevotePolicy) {}

  /** The fold of exactly these ballots, in chain order. */
  static of(ballots: readonly LedgerBallot[], policy: RevotePolicy): LedgerFold {
    const fold = new LedgerFold(policy);
    for (const ballot of ballots) fold.add(ballot);
    return fold;
  }

  private last: LedgerBallot | null = null;
  private folded = 0;
  private counting = new CountingFold<LedgerBallot>();
  private voters = new Map<string, VoterState>();
  private perStyle = new Map<number, StyleCounts>();
  /** V4.1: the ballots whose index is not their position. */
  indexMismatches: { index: number; position: number }[] = [];
  /** V4.4: the first ballot whose recomputed running hash is not its event's. */
  firstDivergence: LedgerBallot | null = null;
  /** V5.1 to V5.7: the excluded ballots and their positions, in chain order (an exclusion is final). */
  excluded: { ballot: LedgerBallot; position: number }[] = [];
  /** V5.8, in chain order. */
  sequenceFaults: SequenceFault[] = [];
  /** Ballots counted, before the cancellations are applied. */
  private countedTotal = 0;

  /** Ballots folded so far. */
  get size(): number {
    return this.folded;
  }

  /** Recorded nullifiers seen so far. */
  get distinctNullifiers(): number {
    return this.voters.size;
  }

  /** The running hash recomputed over the folded events (0x00..00 for none). */
  get runningHash(): Hex {
    return this.last === null ? ZERO_RUNNING_HASH : this.last.inspection.computedRunningHash;
  }

  /** The index of the last ballot folded, -1 for none: the observer reads the checked ballots after it. */
  get lastIndex(): number {
    return this.last === null ? -1 : this.last.index;
  }

  /** Folds the next recorded ballot, in chain order. */
  add(ballot: LedgerBallot): void {
    const position = this.folded++;
    this.last = ballot;
    if (ballot.index !== position) this.indexMismatches.push({ index: ballot.index, position });
    const { check, computedHash, computedRunningHash, styleIndex } = ballot.inspection;
    if (this.firstDivergence === null && !sameHex(computedRunningHash, ballot.runningHash))
      this.firstDivergence = ballot;

    // V5.1 to V5.7 and the counting rules (counting.ts).
    const input: CountInput<LedgerBallot> = {
      index: ballot.index,
      nullifier: ballot.nullifier,
      check: !sameHex(computedHash, ballot.ballotHash)
        ? {
            ok: false,
            code: "bytes-mismatch",
            reason: `the calldata bytes hash to ${computedHash}, the BallotCast event says ${ballot.ballotHash}`,
          }
        : check.ok
          ? { ok: true, nullifier: check.nullifier, ballot }
          : { ok: false, code: check.code, reason: check.reason },
    };
    const replaced = this.counting.add(input);
    const key = ballot.nullifier.toLowerCase();
    let voter = this.voters.get(key);

    // V5.8: sequences per nullifier, as the contract should have enforced them.
    const sequence = BigInt(ballot.sequence);
    const previous = voter === undefined ? undefined : BigInt(voter.latestSequence);
    if (previous !== undefined && this.policy === "none")
      this.sequenceFaults.push({ ballot, code: "revote-not-allowed", sequence, previous });
    else if (sequence < 1n || (previous !== undefined && sequence <= previous))
      this.sequenceFaults.push({ ballot, code: "sequence-not-higher", sequence, previous });
    if (voter === undefined) {
      voter = { latestSequence: compactSequence(sequence), styles: null, countedStyle: null };
      this.voters.set(key, voter);
    } else if (sequence > voter.latestSequence) voter.latestSequence = compactSequence(sequence);

    const verdict = this.counting.verdicts[position];
    if (verdict.status === "excluded") this.excluded.push({ ballot, position });
    if (styleIndex !== null) {
      const counts = this.countsOf(styleIndex);
      counts.recorded++;
      const { styles } = voter;
      if (styles === null) voter.styles = styleIndex;
      else if (typeof styles === "number" ? styles !== styleIndex : !styles.includes(styleIndex))
        voter.styles = typeof styles === "number" ? [styles, styleIndex] : [...styles, styleIndex];
      if (styles === null || voter.styles !== styles) counts.voters++;
    }
    if (verdict.status === "counted") {
      if (replaced >= 0) {
        if (voter.countedStyle !== null) this.countsOf(voter.countedStyle).counted--;
      } else this.countedTotal++;
      voter.countedStyle = styleIndex;
      if (styleIndex !== null) this.countsOf(styleIndex).counted++;
    }
  }

  private countsOf(style: number): StyleCounts {
    let counts = this.perStyle.get(style);
    if (counts === undefined) {
      counts = { recorded: 0, voters: 0, counted: 0 };
      this.perStyle.set(style, counts);
    }
    return counts;
  }

  /**
   * The verdict of every folded ballot (verdicts[k] of the k-th), a fresh
   * array: a counted ballot under a nullifier cancelled at a precinct
   * (protocol.md 11.4) is superseded by nothing.
   */
  verdicts(cancelled: ReadonlySet<string>): LedgerVerdict[] {
    const verdicts: LedgerVerdict[] = this.counting.verdicts.slice();
    for (const nullifier of cancelled) {
      const position = this.counting.countedPosition(nullifier as Hex);
      if (position >= 0)
        verdicts[position] = { index: verdicts[position].index, status: "superseded", supersededBy: null };
    }
    return verdicts;
  }

  /** The counts of every style a folded ballot has, the cancellations applied. */
  styleCounts(cancelled: ReadonlySet<string>): Map<number, StyleCounts> {
    const counts = new Map([...this.perStyle].map(([style, c]) => [style, { ...c }]));
    for (const style of this.cancelledStyles(cancelled)) counts.get(style)!.counted--;
    return counts;
  }

  /** Ballots that count, the cancellations applied. */
  countedBallots(cancelled: ReadonlySet<string>): number {
    let cancelledCounted = 0;
    for (const nullifier of cancelled)
      if (this.counting.countedPosition(nullifier as Hex) >= 0) cancelledCounted++;
    return this.countedTotal - cancelledCounted;
  }

  private cancelledStyles(cancelled: ReadonlySet<string>): number[] {
    const styles: number[] = [];
    for (const nullifier of cancelled) {
      const style = this.voters.get(nullifier)?.countedStyle;
      if (this.counting.countedPosition(nullifier as Hex) >= 0 && style !== null && style !== undefined)
        styles.push(style);
    }
    return styles;
  }
}
