import { concatBytes, hexToBytes, u32be, u64be } from "./primitives/bytes";
import type { Point } from "./primitives/group";
import { taggedDigest32 } from "./primitives/hash";
import type { Manifest } from "./manifest";
import { manifestHash } from "./manifest";

/** A 20-byte EVM address as 0x-prefixed hex (checksummed or not). */
export type Address = `0x${string}`;

/** Where an election lives: its chain and its contract. */
export interface ElectionLocation {
  chainId: bigint;
  election: Address;
}

function addressBytes(address: Address): Uint8Array {
  const bytes = hexToBytes(address);
  if (bytes.length !== 20) throw new RangeError(`not a 20-byte address: ${address}`);
  return bytes;
}

/**
 * The ceremony base hash Q0 = H32("ceremony-base"; u64(chainId), election, manifestHash, u32(round)).
 * Key-ceremony proofs are bound to it: they are made before the joint key, so before Q exists.
 */
export function ceremonyBaseHash(location: ElectionLocation, manifest: Manifest, round: number): Uint8Array {
  return taggedDigest32("ceremony-base", [
    u64be(location.chainId),
    addressBytes(location.election),
    manifestHash(manifest),
    u32be(round),
  ]);
}

/**
 * Everything a ballot, a decryption share or a verifier is bound to.
 * baseHash Q = H32("base"; u64(chainId), election, manifestHash, jointKey, C_1,0 || ... || C_n,t-1)
 * with the trustees' coefficient commitments in trustee order, then coefficient order.
 */
export interface ElectionContext extends ElectionLocation {
  manifest: Manifest;
  manifestHash: Uint8Array;
  jointKey: Point;
  /** commitments[i][k] = a_{i+1,k} * G: trustee i+1's k-th coefficient commitment. */
  trusteeCommitments: Point[][];
  baseHash: Uint8Array;
}

export function electionContext(
  location: ElectionLocation,
  manifest: Manifest,
  jointKey: Point,
  trusteeCommitments: Point[][],
): ElectionContext {
  const hash = manifestHash(manifest);
  const baseHash = taggedDigest32("base", [
    u64be(location.chainId),
    addressBytes(location.election),
    hash,
    jointKey,
    concatBytes(...trusteeCommitments.flat()),
  ]);
  return { ...location, manifest, manifestHash: hash, jointKey, trusteeCommitments, baseHash };
}

export { addressBytes };
