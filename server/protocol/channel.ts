import { hashTypedData, isAddress, recoverTypedDataAddress, type Hex, type LocalAccount } from "viem";
import type { BallotCredential } from "./ballot";
import { addressBytes, type Address, type ElectionLocation } from "./context";
import { ballotDomain } from "./eip712";
import { concatBytes, fromHex, toHex, u32be, u64be, utf8 } from "./primitives/bytes";
import { taggedDigest32 } from "./primitives/hash";

/**
 * One person, one channel (docs/protocol.md section 11): the journal key
 * every on-chain record about a voter is filed under, and the voter's signed
 * cancellation of the online channel. Pure functions, no I/O.
 */

/** The shortest one-time code the invitation office accepts: 16 Crockford base32 characters, 80 bits (11.1). */
export const MIN_JOURNAL_CODE_LENGTH = 16;

/** voterIdHash = H32("voter-journal"; u64(chainId), election, utf8(voterId), utf8(NFC(code))) (11.1). */
export function journalKey(location: ElectionLocation, voterId: string, code: string): Hex {
  return toHex(
    taggedDigest32("voter-journal", [
      u64be(location.chainId),
      addressBytes(location.election),
      utf8(voterId),
      utf8(code.normalize("NFC")),
    ]),
  );
}

/** EIP-712 type of a cancellation, in the ballot's domain (section 9). */
export const cancellationTypes = {
  Cancellation: [
    { name: "voterIdHash", type: "bytes32" },
    { name: "style", type: "uint32" },
    { name: "credential", type: "bytes" },
  ],
} as const;

/** The credential fields of a ballot (5.1): LP(prefix) || LP(signature). */
export const encodeCredentialFields = (credential: BallotCredential): Uint8Array =>
  concatBytes(
    u32be(credential.messagePrefix.length),
    credential.messagePrefix,
    u32be(credential.signature.length),
    credential.signature,
  );

/** Decodes LP(prefix) || LP(signature); null when the lengths do not add up exactly. */
export function decodeCredentialFields(bytes: Uint8Array): BallotCredential | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 8) return null;
  const prefixLength = view.getUint32(0);
  if (4 + prefixLength + 4 > bytes.length) return null;
  const signatureLength = view.getUint32(4 + prefixLength);
  if (8 + prefixLength + signatureLength !== bytes.length) return null;
  return {
    messagePrefix: bytes.slice(4, 4 + prefixLength),
    signature: bytes.slice(8 + prefixLength),
  };
}

/** A voter's signed cancellation, as the precinct receives it and the contract records it. */
export interface Cancellation {
  chainId: string;
  election: Address;
  voterIdHash: Hex;
  style: number;
  /** LP(prefix) || LP(signature), hex. */
  credential: Hex;
  signature: Hex;
}

const message = (c: Pick<Cancellation, "voterIdHash" | "style" | "credential">) => ({
  voterIdHash: c.voterIdHash,
  style: c.style,
  credential: c.credential,
});

export const cancellationDigest = (location: ElectionLocation, c: Cancellation): Hex =>
  hashTypedData({
    domain: ballotDomain(location.chainId, location.election),
    types: cancellationTypes,
    primaryType: "Cancellation",
    message: message(c),
  });

/** Signs a cancellation with the voting key (docs/protocol.md 11.4). */
export async function signCancellation(
  votingKey: LocalAccount,
  location: ElectionLocation,
  voterIdHash: Hex,
  style: number,
  credential: BallotCredential,
): Promise<Cancellation> {
  if (!votingKey.signTypedData) throw new Error("the voting key cannot sign typed data");
  const unsigned = {
    chainId: location.chainId.toString(),
    election: location.election,
    voterIdHash,
    style,
    credential: toHex(encodeCredentialFields(credential)),
  };
  const signature = await votingKey.signTypedData({
    domain: ballotDomain(location.chainId, location.election),
    types: cancellationTypes,
    primaryType: "Cancellation",
    message: message(unsigned),
  });
  return { ...unsigned, signature };
}

/** secp256k1 order / 2, as eip712.ts: the contract refuses high-s signatures. */
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/** The voting address that signed a cancellation, or null (malformed, malleable). Never throws. */
export async function recoverCancellationSigner(
  location: ElectionLocation,
  c: Pick<Cancellation, "voterIdHash" | "style" | "credential" | "signature">,
): Promise<Address | null> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(c.signature) || fromHex(c.credential) === null) return null;
  const s = BigInt(`0x${c.signature.slice(66, 130)}`);
  const v = parseInt(c.signature.slice(130, 132), 16);
  if (s > HALF_ORDER || (v !== 27 && v !== 28)) return null;
  try {
    const address = await recoverTypedDataAddress({
      domain: ballotDomain(location.chainId, location.election),
      types: cancellationTypes,
      primaryType: "Cancellation",
      message: message(c),
      signature: c.signature,
    });
    return isAddress(address) ? address : null;
  } catch {
    return null;
  }
}

/** The sequence a cancellation gives its nullifier on chain: 2^64 - 1 (11.4). */
export const CANCELLED_SEQUENCE = (1n << 64n) - 1n;
