import type { ElectionContext } from "../protocol/context";
import { decodeBallot } from "../protocol/ballot";
import { bytesEqual, fromHex, toHex, utf8 } from "../protocol/primitives/bytes";
import {
  Aggregator,
  computeTally,
  type Aggregate,
  type DecryptionShare,
  type TallyResult,
} from "../protocol/tally";
import type { Findings } from "./findings";
import type { LedgerVerdict, RecordHeader, VerificationInput } from "./report";

/**
 * V8, tally and result (docs/protocol.md 10.8): the counted ballots decode
 * for the aggregate (V8.1); with t or more valid shares (V7) the combination
 * gives a count in [0, n_C] for every option (V8.2 not-decryptable
 * otherwise, and the tally's result is null); a published result needs t
 * valid shares (V8.3) and must be byte for byte the canonical result
 * recomputed, with the hash H32("result"; Q, bytes) (V8.4).
 */
export function aggregateCounted(
  input: Pick<VerificationInput, "ballotBytes">,
  context: ElectionContext,
  verdicts: readonly LedgerVerdict[],
  findings: Findings,
  running: RunningAggregate = new RunningAggregate(),
): Aggregate {
  const counted = verdicts.filter((v) => v.status === "counted").map((v) => v.index);
  running.update(input, context, counted);
  for (const index of counted) {
    const reason = running.undecodable.get(index);
    if (reason !== undefined)
      findings.fault("V8.1", "counted-undecodable", `ballot ${index}`, reason, { ballot: index });
  }
  return running.result();
}

/**
 * The aggregate of the counted ballots, kept from one verification to the
 * next (the observer's, as the chain grows): each update decodes and adds
 * only the ballots newly counted and takes out those no longer counted (a
 * re-vote supersedes the voter's earlier ballot). ElGamal is additively
 * homomorphic and the group abelian, so the sums are exactly those of the
 * counted set, whatever the order: the aggregate's bytes are those of
 * aggregating the counted ballots afresh. It holds one number per counted
 * ballot (at most one per voter) and the sums; a new context starts it again.
 */
export class RunningAggregate {
  /** The base hash Q of the election the sums are of (it binds the manifest and the key). */
  private baseHash: string | null = null;
  private aggregator: Aggregator | null = null;
  /** Counted ballots in the sums (the decodable ones) or in `undecodable`: indices, ascending, distinct. */
  private counted: number[] = [];
  /** Counted ballots whose bytes do not decode (V8.1), with the reason. */
  readonly undecodable = new Map<number, string>();

  /**
   * Brings the sums to exactly the ballots `counted` (indices in chain order).
   * The difference with the ballots summed is a merge of two sorted lists, so
   * a round costs little more than the ballots that changed.
   */
  update(
    input: Pick<VerificationInput, "ballotBytes">,
    context: ElectionContext,
    counted: readonly number[],
  ): void {
    if (this.baseHash !== toHex(context.baseHash)) {
      this.baseHash = toHex(context.baseHash);
      this.aggregator = new Aggregator(context.manifest);
      this.counted = [];
      this.undecodable.clear();
    }
    const aggregator = this.aggregator!;
    const wanted = ascendingDistinct(counted);
    const added: number[] = [];
    const removed: number[] = [];
    let i = 0;
    let j = 0;
    while (i < this.counted.length || j < wanted.length) {
      if (j === wanted.length || (i < this.counted.length && this.counted[i] < wanted[j]))
        removed.push(this.counted[i++]);
      else if (i === this.counted.length || wanted[j] < this.counted[i]) added.push(wanted[j++]);
      else {
        i++;
        j++;
      }
    }
    try {
      let position = 0;
      for (const bytes of input.ballotBytes(removed)) {
        const index = removed[position++];
        if (this.undecodable.delete(index)) continue;
        const decoded = decodeBallot(context, bytes);
        if (!decoded.ok) throw new Error(`ballot ${index} was added to the aggregate but no longer decodes`);
        aggregator.remove(decoded.ballot);
      }
      position = 0;
      for (const bytes of input.ballotBytes(added)) {
        const index = added[position++];
        const decoded = decodeBallot(context, bytes);
        if (decoded.ok) aggregator.add(decoded.ballot);
        else this.undecodable.set(index, decoded.reason);
      }
    } catch (error) {
      // Part of the difference applied: the next update starts again from nothing.
      this.baseHash = null;
      throw error;
    }
    this.counted = wanted;
  }

  result(): Aggregate {
    if (this.aggregator === null) throw new Error("the running aggregate has not been updated");
    return this.aggregator.result();
  }
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

export interface ResultOutcome {
  own: TallyResult | null;
  matches: boolean | null;
}

export function checkResult(
  header: RecordHeader,
  context: ElectionContext,
  aggregate: Aggregate,
  valid: readonly DecryptionShare[],
  findings: Findings,
): ResultOutcome {
  const { threshold } = context.manifest.trustees;
  let tally: ReturnType<typeof computeTally> | null = null;
  if (valid.length >= threshold) {
    tally = computeTally(context, aggregate, valid);
    if (!tally.ok)
      findings.fault(
        "V8.2",
        "not-decryptable",
        "tally",
        `${valid.length} valid decryption shares do not decrypt the aggregate: ${tally.reason}`,
      );
  }
  const own = tally?.ok ? tally.result : null;
  if (header.result === null) return { own, matches: null };
  if (tally === null) {
    findings.fault(
      "V8.3",
      "result-not-verifiable",
      "result",
      `a result is published with ${valid.length} valid decryption shares, ${threshold} are needed`,
    );
    return { own, matches: false };
  }
  if (!tally.ok) return { own, matches: false };
  const published = utf8(header.result.result);
  if (!bytesEqual(tally.bytes, published)) {
    findings.fault(
      "V8.4",
      "result-mismatch",
      "result",
      `the published result differs from the recomputed one: ${resultDifferences(tally.result, header.result.result)}`,
    );
    return { own, matches: false };
  }
  const postedHash = fromHex(header.result.resultHash);
  if (postedHash === null || !bytesEqual(tally.hash, postedHash)) {
    findings.fault(
      "V8.4",
      "result-hash-mismatch",
      "result",
      `the published hash is ${header.result.resultHash}, H32("result"; Q, bytes) is ${toHex(tally.hash)}`,
    );
    return { own, matches: false };
  }
  return { own, matches: true };
}

/** The indices ascending, each once (chain order already is, unless the record's indices are out of order: V4.1). */
function ascendingDistinct(indices: readonly number[]): number[] {
  let ordered = true;
  for (let k = 1; k < indices.length && ordered; k++) ordered = indices[k - 1] < indices[k];
  if (ordered) return indices.slice();
  return [...new Set(indices)].sort((x, y) => x - y);
}
