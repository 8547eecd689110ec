import { isAddress, recoverTypedDataAddress, type Hex, type LocalAccount } from "viem";
import type { Address, ElectionLocation } from "./context";
import { attestationTypes, ballotDomain } from "./eip712";

/**
 * An observer's attestation (protocol.md section 9): EIP-712 typed data in the
 * ballots' domain, `Attestation(address election, bytes32 resultHash, bytes32
 * tallyHash, bool resultMatches)`, signed with the observer's key. resultHash
 * is the published result's hash, tallyHash the observer's own canonical tally
 * (tally-hash.ts), resultMatches whether its recomputation gives the published
 * result. The same values go on chain with attest() when the observer holds
 * the observer role.
 */
export interface AttestationMessage {
  election: Address;
  resultHash: Hex;
  tallyHash: Hex;
  resultMatches: boolean;
}

const typedData = (location: ElectionLocation, message: AttestationMessage) =>
  ({
    domain: ballotDomain(location.chainId, location.election),
    types: attestationTypes,
    primaryType: "Attestation",
    message,
  }) as const;

export async function signAttestation(
  observerKey: LocalAccount,
  location: ElectionLocation,
  message: AttestationMessage,
): Promise<Hex> {
  if (!observerKey.signTypedData) throw new Error("the observer key cannot sign typed data");
  return observerKey.signTypedData(typedData(location, message));
}

/** secp256k1 order / 2: a larger s is a malleable copy, refused as attest() (OpenZeppelin ECDSA) refuses it. */
const HALF_ORDER = 0x7fffffffffffffffffffffffffffffff5d576e7357a4501ddfe92f46681b20a0n;

/**
 * The address that signed an attestation, or null when the signature is
 * malformed: not 65 bytes, v not 27 or 28, or s above n/2 (the rules of the
 * contract's attest(), and of ballot signatures). Never throws.
 */
export async function recoverAttestationSigner(
  location: ElectionLocation,
  message: AttestationMessage,
  signature: Hex,
): Promise<Address | null> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return null;
  const v = parseInt(signature.slice(130, 132), 16);
  if (BigInt(`0x${signature.slice(66, 130)}`) > HALF_ORDER || (v !== 27 && v !== 28)) return null;
  try {
    const address = await recoverTypedDataAddress({ ...typedData(location, message), signature });
    return isAddress(address) ? address : null;
  } catch {
    return null;
  }
}
