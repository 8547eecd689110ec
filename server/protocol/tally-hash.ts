import { canonicalJson } from "./canonical-json";
import type { Address, ElectionContext } from "./context";
import type { TallyResult } from "./tally";
import { toHex, utf8 } from "./primitives/bytes";
import { taggedDigest32 } from "./primitives/hash";

/**
 * An observer's canonical tally (protocol.md section 6.6): what it recomputed
 * from the chain alone, as canonical JSON, so that two observers with
 * different keys and endpoints can compare byte for byte, and its hash, which
 * the observer signs in its EIP-712 attestation and posts with attest().
 *
 *   verdictsHash = H32("tally-verdicts"; Q, u8(v_0) || ... || u8(v_{n-1}))
 *                  v_k = 0 counted, 1 superseded, 2 excluded, for every recorded ballot in chain order
 *   tallyBytes   = canonical JSON (UTF-8) of the CanonicalTally object below
 *   tallyHash    = H32("tally"; Q, tallyBytes)
 */
export const TALLY_TAG = "tally";
export const TALLY_VERDICTS_TAG = "tally-verdicts";
export const TALLY_VERSION = 1;

export type TallyVerdictStatus = "counted" | "superseded" | "excluded";

const VERDICT_BYTE: Record<TallyVerdictStatus, number> = { counted: 0, superseded: 1, excluded: 2 };

export interface CanonicalTally {
  version: typeof TALLY_VERSION;
  /** Decimal chain id. */
  chainId: string;
  /** The election address, lower case. */
  election: string;
  /** BallotCast events the tally covers. */
  recordedBallots: number;
  /** The running hash recomputed from the recorded ballots' calldata (0x00..00 when none). */
  runningHash: `0x${string}`;
  counted: number;
  superseded: number;
  /** Excluded ballots per exclusion code (codes with a zero count are left out). */
  excluded: Record<string, number>;
  verdictsHash: `0x${string}`;
  /** aggregateHash of the counted ballots (section 6.2). */
  aggregateHash: `0x${string}`;
  /** The observer's own counts, or null when fewer than t valid decryption shares are posted. */
  result: TallyResult | null;
}

export interface TallyInput {
  verdicts: readonly { status: TallyVerdictStatus; code?: string }[];
  runningHash: `0x${string}`;
  aggregateHash: Uint8Array;
  result: TallyResult | null;
}

/** H32("tally-verdicts"; Q, one byte per recorded ballot): binds exactly which ballots were counted. */
export function verdictsHash(context: ElectionContext, statuses: readonly TallyVerdictStatus[]): Uint8Array {
  const bytes = new Uint8Array(statuses.length);
  statuses.forEach((status, i) => (bytes[i] = VERDICT_BYTE[status]));
  return taggedDigest32(TALLY_VERDICTS_TAG, [context.baseHash, bytes]);
}

export function canonicalTally(context: ElectionContext, input: TallyInput): CanonicalTally {
  const excluded: Record<string, number> = {};
  let counted = 0;
  let superseded = 0;
  for (const verdict of input.verdicts) {
    if (verdict.status === "counted") counted++;
    else if (verdict.status === "superseded") superseded++;
    else {
      const code = verdict.code ?? "excluded";
      excluded[code] = (excluded[code] ?? 0) + 1;
    }
  }
  return {
    version: TALLY_VERSION,
    chainId: context.chainId.toString(),
    election: (context.election as Address).toLowerCase(),
    recordedBallots: input.verdicts.length,
    runningHash: input.runningHash.toLowerCase() as `0x${string}`,
    counted,
    superseded,
    excluded,
    verdictsHash: toHex(
      verdictsHash(
        context,
        input.verdicts.map((v) => v.status),
      ),
    ),
    aggregateHash: toHex(input.aggregateHash),
    result: input.result,
  };
}

/** Canonical JSON (RFC 8785, integers only) of the tally, UTF-8. */
export const encodeTally = (tally: CanonicalTally): Uint8Array => utf8(canonicalJson(tally));

/** tallyHash = H32("tally"; Q, tallyBytes): the bytes32 of the attestation. */
export const tallyHash = (context: ElectionContext, bytes: Uint8Array): Uint8Array =>
  taggedDigest32(TALLY_TAG, [context.baseHash, bytes]);
