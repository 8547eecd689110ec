/**
 * The voter's side of the protocol, for the CLI and the web booth: no node:
 * imports here (only the protocol module, viem and WebCrypto), so it bundles
 * for a browser as is.
 *
 *   newVotingKey -> startCredentialRequest (blind) -> registrar -> finishCredential (unblind, verify)
 *   -> prepareBallot (encrypt with proofs, sign EIP-712) -> relay -> checkReceipt
 */
import { isAddressEqual, type Address, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  ballotHash as hashBallot,
  encryptBallot,
  trackingCode,
  type BallotChoices,
  type BallotCredential,
} from "../protocol/ballot";
import type { ElectionContext, ElectionLocation } from "../protocol/context";
import {
  blindCredentialRequest,
  credentialMessage,
  finalizeCredential,
  type CredentialRequest,
} from "../protocol/credential";
import { nullifierOf, signBallot } from "../protocol/eip712";
import { hexToBytes, toHex } from "../protocol/primitives/bytes";
import { recoverReceiptSigner, type BallotReceipt } from "../protocol/receipt";

export const newVotingKey = (): Hex => generatePrivateKey();

export const votingAddressOf = (votingKey: Hex): Address => privateKeyToAccount(votingKey).address;

/** A credential request as JSON-safe hex, to be stored BEFORE it is sent (a retry must send the same one). */
export interface StoredCredentialRequest {
  styleIndex: number;
  preparedMessage: Hex;
  blindedMessage: Hex;
  inverse: Hex;
}

export async function startCredentialRequest(
  location: ElectionLocation,
  modulus: Uint8Array,
  styleIndex: number,
  votingKey: Hex,
): Promise<StoredCredentialRequest> {
  const request = await blindCredentialRequest(
    modulus,
    credentialMessage(location, styleIndex, votingAddressOf(votingKey)),
  );
  return {
    styleIndex,
    preparedMessage: toHex(request.preparedMessage),
    blindedMessage: toHex(request.blindedMessage),
    inverse: toHex(request.inverse),
  };
}

export interface StoredCredential {
  styleIndex: number;
  messagePrefix: Hex;
  signature: Hex;
}

/** Unblinds the registrar's answer; throws when it is not a valid signature under the chain's key. */
export async function finishCredential(
  modulus: Uint8Array,
  request: StoredCredentialRequest,
  blindSignature: Hex,
): Promise<StoredCredential> {
  const live: CredentialRequest = {
    preparedMessage: hexToBytes(request.preparedMessage),
    blindedMessage: hexToBytes(request.blindedMessage),
    inverse: hexToBytes(request.inverse),
  };
  const credential = await finalizeCredential(modulus, live, hexToBytes(blindSignature));
  return {
    styleIndex: request.styleIndex,
    messagePrefix: toHex(credential.messagePrefix),
    signature: toHex(credential.signature),
  };
}

const credentialOf = (stored: StoredCredential): BallotCredential => ({
  messagePrefix: hexToBytes(stored.messagePrefix),
  signature: hexToBytes(stored.signature),
});

/** A ballot ready for a relay: the JSON body of POST /v1/ballots plus what the voter keeps. */
export interface PreparedBallot {
  request: { ballot: Hex; sequence: string; signature: Hex; election: Address };
  ballotHash: Hex;
  trackingCode: string;
  sequence: bigint;
}

/** Encrypts the choices with proofs bound to the voter's nullifier and signs them (EIP-712). */
export async function prepareBallot(
  context: ElectionContext,
  votingKey: Hex,
  credential: StoredCredential,
  choices: BallotChoices,
  sequence: bigint,
): Promise<PreparedBallot> {
  const account = privateKeyToAccount(votingKey);
  const nullifier = nullifierOf(context.election, account.address);
  const { bytes } = encryptBallot(
    context,
    credential.styleIndex,
    choices,
    nullifier,
    credentialOf(credential),
  );
  const signature = await signBallot(account, context, bytes, sequence);
  const hash = toHex(hashBallot(bytes));
  return {
    request: { ballot: toHex(bytes), sequence: sequence.toString(), signature, election: context.election },
    ballotHash: hash,
    trackingCode: trackingCode(context, hash),
    sequence,
  };
}

/** A relay's answer to POST /v1/ballots (docs/api.md). */
export interface RelayReceipt {
  receipt: { election: Address; trackingCode: string; ballotHash: Hex; sequence: string; acceptedAt: number };
  signature: Hex;
  relay: Address;
}

export type ReceiptCheck = { ok: true; relay: Address } | { ok: false; reason: string };

/** The receipt is for this ballot and signed by the relay it names. */
export async function checkReceipt(
  context: ElectionContext,
  prepared: PreparedBallot,
  answer: RelayReceipt,
): Promise<ReceiptCheck> {
  const r = answer.receipt;
  if (!isAddressEqual(r.election, context.election))
    return { ok: false, reason: "receipt is for another election" };
  if (r.ballotHash.toLowerCase() !== prepared.ballotHash.toLowerCase())
    return { ok: false, reason: "receipt is for another ballot" };
  if (r.trackingCode !== prepared.trackingCode)
    return { ok: false, reason: "receipt has the wrong tracking code" };
  if (r.sequence !== prepared.sequence.toString())
    return { ok: false, reason: "receipt has the wrong sequence" };
  const receipt: BallotReceipt = {
    election: r.election,
    trackingCode: r.trackingCode,
    ballotHash: r.ballotHash,
    sequence: BigInt(r.sequence),
    acceptedAt: BigInt(r.acceptedAt),
  };
  const signer = await recoverReceiptSigner(context, receipt, answer.signature);
  if (signer === null || !isAddressEqual(signer, answer.relay))
    return { ok: false, reason: "receipt signature is not the relay's" };
  return { ok: true, relay: signer };
}
