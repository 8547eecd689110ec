import {
  getAddress,
  hashDomain,
  isAddress,
  keccak256,
  recoverAddress,
  type Hex,
  type LocalAccount,
} from "viem";
import type { Address, ElectionLocation } from "./context";
import { nativeSecp256k1 } from "./primitives/backend";
import { concatBytes, fromHex, toHex, u64be } from "./primitives/bytes";
import { keccak256Bytes } from "./primitives/hash";

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
  return toHex(keccak256Bytes(concatBytes(abiAddress(election), abiAddress(votingAddress))));
}

/** An address as one ABI word (abi.encode): 12 zero bytes and the 20 address bytes; viem's isAddress rules. */
function abiAddress(address: Address): Uint8Array {
  const bytes = isAddress(address) ? fromHex(address) : null;
  if (bytes === null) throw new TypeError(`not an address: ${String(address)}`);
  return concatBytes(new Uint8Array(12), bytes);
}

const BALLOT_TYPE_HASH = keccak256(new TextEncoder().encode("Ballot(bytes ballot,uint64 sequence)"), "bytes");
const EIP712_PREFIX = Uint8Array.of(0x19, 0x01);
const domainSeparators = new Map<string, Uint8Array>();

/** The EIP-712 domain separator of an election (viem's hashDomain), cached per location. */
function domainSeparator(location: ElectionLocation): Uint8Array {
  const cacheKey = `${location.chainId}:${location.election.toLowerCase()}`;
  let separator = domainSeparators.get(cacheKey);
  if (separator === undefined) {
    separator = fromHex(
      hashDomain({
        domain: ballotDomain(location.chainId, location.election),
        types: {
          EIP712Domain: [
            { name: "name", type: "string" },
            { name: "version", type: "string" },
            { name: "chainId", type: "uint256" },
            { name: "verifyingContract", type: "address" },
          ],
        },
      }),
    )!;
    if (domainSeparators.size >= 256) domainSeparators.clear();
    domainSeparators.set(cacheKey, separator);
  }
  return separator;
}

/**
 * The EIP-712 digest of Ballot(bytes ballot, uint64 sequence) (protocol.md section 6):
 * keccak256(0x1901 || domainSeparator || keccak256(typeHash || keccak256(ballot) || uint256(sequence))),
 * written out so that the 1.5-KB ballot is hashed once (viem's hashTypedData, which
 * test/protocol/backend.test.ts compares it with, costs ~0.8 ms a ballot).
 */
export function ballotDigestBytes(
  location: ElectionLocation,
  ballot: Uint8Array,
  sequence: bigint,
): Uint8Array {
  if (sequence < 0n || sequence >= 1n << 64n) throw new RangeError(`sequence ${sequence} is not a uint64`);
  const structHash = keccak256Bytes(
    concatBytes(BALLOT_TYPE_HASH, keccak256Bytes(ballot), new Uint8Array(24), u64be(sequence)),
  );
  return keccak256Bytes(concatBytes(EIP712_PREFIX, domainSeparator(location), structHash));
}

export function ballotDigest(location: ElectionLocation, ballot: Uint8Array, sequence: bigint): Hex {
  return toHex(ballotDigestBytes(location, ballot, sequence));
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

/**
 * The voting address that signed this ballot, or null for a malformed or malleable signature.
 * Never throws. Recovery runs on the native core (k256) when it is active, else viem's
 * recoverAddress (@noble/curves); both refuse the same signatures (test/protocol/backend.test.ts).
 */
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
    const digest = ballotDigestBytes(location, ballot, sequence);
    const native = nativeSecp256k1();
    if (native !== null) {
      const signer = native.ecrecover(digest, fromHex(signature)!);
      return signer === null ? null : getAddress(toHex(signer));
    }
    const address = await recoverAddress({ hash: toHex(digest), signature });
    return isAddress(address) ? address : null;
  } catch {
    return null;
  }
}
