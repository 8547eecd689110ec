import { canonicalJson } from "./canonical-json";
import { utf8 } from "./primitives/bytes";
import { taggedDigest32 } from "./primitives/hash";

/**
 * The combined result of the contests several elections share (two
 * platforms, docs/protocol.md section 12):
 *
 *   combined      = { version: 1, elections: [{ chainId, election, tallyHash }, ...], contests: { ... } }
 *   combinedBytes = canonical JSON of combined, UTF-8 (elections sorted by chainId, then address)
 *   combinedHash  = H32("combined-tally"; combinedBytes)
 */
export const COMBINED_TALLY_TAG = "combined-tally";
export const COMBINED_TALLY_VERSION = 1;

export interface CombinedTally {
  version: typeof COMBINED_TALLY_VERSION;
  /** Every combined election with its own tally hash (6.6), sorted by chain id (numerically), then address. */
  elections: { chainId: string; election: string; tallyHash: string }[];
  /** Per shared contest: how many elections have it, and the summed counts per option. */
  contests: Record<string, { elections: number; options: Record<string, number> }>;
}

/** Sorts the elections as the encoding requires and lower-cases addresses and hashes. */
export function normalizeCombinedTally(tally: CombinedTally): CombinedTally {
  const elections = tally.elections
    .map((e) => ({
      chainId: e.chainId,
      election: e.election.toLowerCase(),
      tallyHash: e.tallyHash.toLowerCase(),
    }))
    .sort((a, b) =>
      BigInt(a.chainId) !== BigInt(b.chainId)
        ? BigInt(a.chainId) < BigInt(b.chainId)
          ? -1
          : 1
        : a.election < b.election
          ? -1
          : a.election > b.election
            ? 1
            : 0,
    );
  return { ...tally, elections };
}

export const encodeCombinedTally = (tally: CombinedTally): Uint8Array =>
  utf8(canonicalJson(normalizeCombinedTally(tally)));

export const combinedTallyHash = (bytes: Uint8Array): Uint8Array =>
  taggedDigest32(COMBINED_TALLY_TAG, [bytes]);
