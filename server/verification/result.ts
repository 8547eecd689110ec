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
  input: Pick<VerificationInput, "ballotBytes" | "ballots">,
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
      findings.fault("V8.1", "counted-undecodable", `ballot ${indices[position]}`, decoded.reason, {
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
