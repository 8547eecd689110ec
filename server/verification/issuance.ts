import type { Hex } from "viem";
import type { Manifest } from "../protocol/manifest";
import type { Findings } from "./findings";
import type { StyleCounts } from "./ledger-fold";
import type { IssuanceSummary, StyleSummary, VerificationInput } from "./report";

/**
 * V6, the issuance journal (docs/protocol.md 10.6): every journaled style
 * exists (V6.1), no voterIdHash is journaled twice (V6.2), and per ballot
 * style the counted ballots do not exceed the credentials issued (V6.3).
 * The per-style figures are the ledger fold's (ledger-fold.ts): they go by each
 * ballot's own verdict, never by its index, so a record with a ballot line
 * missing has a gap in its indices (V4.1), not shifted figures.
 */

/** The counts of an issuance journal read so far, to which later entries are added (IssuanceJournal). */
export class IssuanceJournal implements IssuanceSummary {
  readonly perStyle = new Map<number, number>();
  readonly duplicates: Hex[] = [];
  readonly keys = new Map<string, { style: number; blockNumber: string }>();

  /** Adds the next journal entry, in chain order: a voterIdHash seen before is a duplicate each time again. */
  add(issuance: { voterIdHash: Hex; style: number; blockNumber: string }): void {
    this.perStyle.set(issuance.style, (this.perStyle.get(issuance.style) ?? 0) + 1);
    const key = issuance.voterIdHash.toLowerCase();
    if (this.keys.has(key)) this.duplicates.push(issuance.voterIdHash);
    else this.keys.set(key, { style: issuance.style, blockNumber: issuance.blockNumber });
  }
}

/**
 * Counts of the issuance journal, from the list or a stream of it (audit,
 * trustees); the observer keeps an IssuanceJournal in its index and adds only
 * the entries indexed since its last round.
 */
export async function summarizeIssuances(
  issuances:
    | Iterable<{ voterIdHash: Hex; style: number; blockNumber: string }>
    | AsyncIterable<{ voterIdHash: Hex; style: number; blockNumber: string }>,
): Promise<IssuanceSummary> {
  const journal = new IssuanceJournal();
  for await (const issuance of issuances) journal.add(issuance);
  return journal;
}

export function checkIssuance(
  manifest: Manifest,
  input: Pick<VerificationInput, "issuance">,
  ballotsPerStyle: ReadonlyMap<number, StyleCounts>,
  findings: Findings,
): StyleSummary[] {
  const summaries: StyleSummary[] = manifest.ballotStyles.map((style, i) => ({
    style: i,
    id: style.id,
    issued: input.issuance.perStyle.get(i) ?? 0,
    recorded: ballotsPerStyle.get(i)?.recorded ?? 0,
    voters: ballotsPerStyle.get(i)?.voters ?? 0,
    counted: ballotsPerStyle.get(i)?.counted ?? 0,
  }));
  for (const [style, count] of input.issuance.perStyle)
    if (summaries[style] === undefined)
      findings.fault(
        "V6.1",
        "issuance-unknown-style",
        `style ${style}`,
        `${count} credentials journaled for an unknown style`,
        { style },
      );
  for (const duplicate of input.issuance.duplicates)
    findings.fault(
      "V6.2",
      "duplicate-issuance",
      `voter ${duplicate}`,
      "a second credential journaled for one voter id hash",
    );
  for (const summary of summaries)
    if (summary.counted > summary.issued)
      findings.fault(
        "V6.3",
        "more-counted-than-issued",
        `style ${summary.style} (${summary.id})`,
        `${summary.counted} ballots counted, ${summary.issued} credentials issued`,
        { style: summary.style },
      );
  return summaries;
}
