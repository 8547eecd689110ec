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

/** The address that signed an attestation, or null when the signature is malformed. Never throws. */
export async function recoverAttestationSigner(
  location: ElectionLocation,
  message: AttestationMessage,
  signature: Hex,
): Promise<Address | null> {
  try {
    const address = await recoverTypedDataAddress({ ...typedData(location, message), signature });
    return isAddress(address) ? address : null;
  } catch {
    return null;
  }
}
