import { toHex, type Address } from "viem";
import { RevotePolicy, type ElectionParams } from "../chain/deploy";
import { manifestHash, type Manifest } from "../protocol/manifest";

/**
 * The creation parameters of an election, all derived from its manifest
 * except the trustees' and the commission's addresses, so the contract and
 * the manifest published with it cannot disagree.
 */
export type ParamsResult = { ok: true; params: ElectionParams } | { ok: false; reason: string };

export function electionParamsOf(
  manifest: Manifest,
  trustees: readonly Address[],
  commission: Address,
  now: number,
): ParamsResult {
  if (trustees.length !== manifest.trustees.count)
    return {
      ok: false,
      reason: `the manifest names ${manifest.trustees.count} trustees, ${trustees.length} addresses given`,
    };
  if (new Set(trustees.map((a) => a.toLowerCase())).size !== trustees.length)
    return { ok: false, reason: "a trustee address is given twice" };
  if (manifest.votingWindow.closesAt <= now)
    return {
      ok: false,
      reason: `the voting window closes at ${new Date(manifest.votingWindow.closesAt * 1000).toISOString()}, which is already past`,
    };
  return {
    ok: true,
    params: {
      manifestHash: toHex(manifestHash(manifest)),
      opensAt: BigInt(manifest.votingWindow.opensAt),
      closesAt: BigInt(manifest.votingWindow.closesAt),
      revotePolicy: manifest.revotePolicy === "none" ? RevotePolicy.None : RevotePolicy.LastBallotCounts,
      threshold: manifest.trustees.threshold,
      trustees: [...trustees],
      ballotStyleCount: manifest.ballotStyles.length,
      commission,
    },
  };
}
