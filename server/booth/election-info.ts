import type { Hex } from "viem";
import type { ElectionContext } from "../protocol/context";
import { toHex } from "../protocol/primitives/bytes";
import type { BoothConfig } from "./serve";

/**
 * What a relay adds to GET /v1/election so a booth (or any client) can build
 * the election context without a chain connection: the manifest, the joint
 * key and the trustees' commitments (the booth recomputes the manifest hash
 * and the base hash Q from them and compares), the registrar's keys per style
 * as recorded on chain, and where the registrar and the relays are.
 */
export interface BoothElectionFields {
  manifest: ElectionContext["manifest"];
  manifestHash: Hex;
  jointKey: Hex;
  trusteeCommitments: Hex[][];
  baseHash: Hex;
  registrarKeys: { style: number; modulus: Hex }[];
  registrarUrl: string | null;
  relayUrls: string[];
}

export function boothElectionFields(
  context: ElectionContext,
  registrarKeys: ReadonlyMap<number, Uint8Array>,
  booth: BoothConfig | undefined,
): BoothElectionFields {
  return {
    manifest: context.manifest,
    manifestHash: toHex(context.manifestHash),
    jointKey: toHex(context.jointKey),
    trusteeCommitments: context.trusteeCommitments.map((row) => row.map((c) => toHex(c))),
    baseHash: toHex(context.baseHash),
    registrarKeys: [...registrarKeys]
      .sort((a, b) => a[0] - b[0])
      .map(([style, modulus]) => ({ style, modulus: toHex(modulus) })),
    registrarUrl: booth?.registrarUrl ?? null,
    relayUrls: booth?.relayUrls ?? [],
  };
}
