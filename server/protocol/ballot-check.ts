import type { Hex } from "viem";
import {
  BALLOT_MAGIC,
  ballotHash,
  decodeBallot,
  MAX_BALLOT_BYTES,
  verifyBallotProofs,
  type EncryptedBallot,
} from "./ballot";
import type { Address, ElectionContext } from "./context";
import { verifyCredential } from "./credential";
import { nullifierOf, recoverBallotSigner } from "./eip712";
import { bytesEqual, toHex } from "./primitives/bytes";

/**
 * The one off-chain validity check of a signed ballot, shared by the relay
 * (before it queues), the trustees (before they aggregate), the observers and
 * the audit tool: EIP-712 signature, ballot encoding, credential for the
 * style and voting address, every proof bound to the nullifier. The chain
 * checks the rest (window, nullifier sequence). Never throws.
 */
export interface SignedBallot {
  ballot: Uint8Array;
  sequence: bigint;
  /** 65-byte EIP-712 signature r || s || v of the voting key. */
  signature: Hex;
}

/** What a ballot is checked against: the election and the registrar's key (modulus) per ballot style. */
export interface BallotRules {
  context: ElectionContext;
  registrarKeys: ReadonlyMap<number, Uint8Array>;
}

export type BallotCheckCode =
  | "invalid-signature"
  | "malformed-ballot"
  | "unknown-style"
  | "registrar-key-missing"
  | "invalid-credential"
  | "invalid-proof";

export type BallotCheck =
  | { ok: true; votingAddress: Address; nullifier: Hex; ballotHash: Hex; ballot: EncryptedBallot }
  | {
      ok: false;
      code: BallotCheckCode;
      reason: string;
      votingAddress?: Address;
      nullifier?: Hex;
      ballotHash: Hex;
    };

/**
 * Which code a ballot that does not decode gets (protocol.md 10.5, V5.3):
 * unknown-style exactly when the decoder's first failing step (5.2) is the
 * style index, that is the bytes are within the size limit, start with the
 * magic and name a style the manifest does not have; malformed-ballot
 * otherwise.
 */
export function decodeFailureCode(
  context: ElectionContext,
  bytes: Uint8Array,
): "unknown-style" | "malformed-ballot" {
  if (bytes.length > MAX_BALLOT_BYTES || bytes.length < 8 || !bytesEqual(bytes.subarray(0, 4), BALLOT_MAGIC))
    return "malformed-ballot";
  const style = new DataView(bytes.buffer, bytes.byteOffset + 4, 4).getUint32(0);
  return style >= context.manifest.ballotStyles.length ? "unknown-style" : "malformed-ballot";
}

/**
 * The per-ballot checks V5.2 to V5.6 of protocol.md 10.5, in this order: the
 * EIP-712 signature recovers a signer (invalid-signature otherwise: a
 * signature that is malformed, has a high s or a bad v, or recovers
 * nothing; a ballot changed after signing recovers another address and fails
 * later, as invalid-credential), the bytes decode (unknown-style or
 * malformed-ballot), the style has a valid registrar key
 * (registrar-key-missing), the credential is valid for the style and the
 * signer (invalid-credential), every proof holds under the signer's
 * nullifier (invalid-proof).
 */
export async function checkSignedBallot(rules: BallotRules, signed: SignedBallot): Promise<BallotCheck> {
  const { context } = rules;
  const hash = toHex(ballotHash(signed.ballot));
  const votingAddress = await recoverBallotSigner(context, signed.ballot, signed.sequence, signed.signature);
  if (votingAddress === null)
    return {
      ok: false,
      code: "invalid-signature",
      reason: "EIP-712 signature is malformed or invalid",
      ballotHash: hash,
    };
  const nullifier = nullifierOf(context.election, votingAddress);
  const fail = (code: BallotCheckCode, reason: string): BallotCheck => ({
    ok: false,
    code,
    reason,
    votingAddress,
    nullifier,
    ballotHash: hash,
  });
  const decoded = decodeBallot(context, signed.ballot);
  if (!decoded.ok) return fail(decodeFailureCode(context, signed.ballot), decoded.reason);
  const { ballot } = decoded;
  const modulus = rules.registrarKeys.get(ballot.styleIndex);
  if (modulus === undefined)
    return fail("registrar-key-missing", `no registrar key for ballot style ${ballot.styleIndex}`);
  const credential = await verifyCredential(
    context,
    ballot.styleIndex,
    votingAddress,
    ballot.credential,
    modulus,
  );
  if (!credential.ok) return fail("invalid-credential", credential.reason);
  const proofs = verifyBallotProofs(context, ballot, nullifier);
  if (!proofs.ok) return fail("invalid-proof", proofs.reason);
  return { ok: true, votingAddress, nullifier, ballotHash: hash, ballot };
}
