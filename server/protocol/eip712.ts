import {
  encodeAbiParameters,
  hashTypedData,
  isAddress,
  keccak256,
  recoverTypedDataAddress,
  type Hex,
  type LocalAccount,
} from "viem";
import type { Address, ElectionLocation } from "./context";
import { toHex } from "./primitives/bytes";

/**
 * The chain-facing half of a ballot: the voter signs the ballot bytes and a
 * sequence number as EIP-712 typed data with the voting key; the contract
 * recovers the voting address with ecrecover and derives the nullifier.
 */
export const ballotTypes = {
  Ballot: [
    { name: "ballot", type: "bytes" },
    { name: "sequence", type: "uint64" },
  ],
} as const;

export const attestationTypes = {
  Attestation: [
    { name: "election", type: "address" },
    { name: "resultHash", type: "bytes32" },
    { name: "tallyHash", type: "bytes32" },
    { name: "resultMatches", type: "bool" },
  ],
} as const;

export function ballotDomain(chainId: bigint, election: Address) {
  return { name: "ballot-ledger", version: "1", chainId, verifyingContract: election } as const;
}

/** nullifier = keccak256(abi.encode(address election, address votingAddress)). */
export function nullifierOf(election: Address, votingAddress: Address): Hex {
  return keccak256(
    encodeAbiParameters([{ type: "address" }, { type: "address" }], [election, votingAddress]),
  );
}

export function ballotDigest(location: ElectionLocation, ballot: Uint8Array, sequence: bigint): Hex {
  return hashTypedData({
    domain: ballotDomain(location.chainId, location.election),
    types: ballotTypes,
    primaryType: "Ballot",
    message: { ballot: toHex(ballot), sequence },
  });
}

export async function signBallot(
  votingKey: LocalAccount,
  location: ElectionLocation,
  ballot: Uint8Array,
  sequence: bigint,
): Promise<Hex> {
  if (!votingKey.signTypedData) throw new Error("the voting key cannot sign typed data");
  return votingKey.signTypedData({
    domain: ballotDomain(location.chainId, location.election),
    types: ballotTypes,
    primaryType: "Ballot",
    message: { ballot: toHex(ballot), sequence },
  });
}

/** secp256k1 order / 2: signatures with a larger s are malleable copies and refused, as OpenZeppelin ECDSA does. */
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** The voting address that signed this ballot, or null for a malformed or malleable signature. Never throws. */
export async function recoverBallotSigner(
  location: ElectionLocation,
  ballot: Uint8Array,
  sequence: bigint,
  signature: Hex,
): Promise<Address | null> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return null;
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = parseInt(signature.slice(130, 132), 16);
  if (s > HALF_ORDER || (v !== 27 && v !== 28)) return null;
  try {
    const address = await recoverTypedDataAddress({
      domain: ballotDomain(location.chainId, location.election),
      types: ballotTypes,
      primaryType: "Ballot",
      message: { ballot: toHex(ballot), sequence },
      signature,
    });
    return isAddress(address) ? address : null;
  } catch {
    return null;
  }
}
