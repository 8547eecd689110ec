import { concatBytes, u8 } from "./bytes";
import { ByteReader } from "./encoding";
import {
  baseMul,
  basePoint,
  pointMul,
  randomScalar,
  scalarAdd,
  scalarSub,
  type Point,
  type Scalar,
} from "./group";
import { hashToScalar } from "./hash";
import { encodeSigmaProof, proveDleq, SIGMA_PROOF_BYTES, verifyDleq, type SigmaProof } from "./proofs";

/**
 * Encryption of one key-ceremony share (a scalar) from dealer i to recipient j,
 * whose box key is B_j = b_j * G. Hashed ElGamal with an additive pad in Z_q:
 *
 *   R = rho * G,  D = rho * B_j (= b_j * R),
 *   pad = Hq("ceremony/share-pad"; Q0, u8(i), u8(j), R, D),
 *   ciphertext = R || (share + pad mod q)                       (64 bytes)
 *
 * There is no MAC: a share is authenticated by the dealer's Feldman
 * commitments, and a wrong share is answered by a complaint that reveals D
 * with a proof log_G(B_j) = log_R(D), from which anyone recomputes the share
 * (docs/protocol.md, key ceremony). A sealed box (X25519 + XSalsa20-Poly1305)
 * would need a second key type and could not be opened publicly for one share.
 */
export const SHARE_CIPHERTEXT_BYTES = 64;
export const SHARE_PAD_TAG = "ceremony/share-pad";
export const SHARE_DISCLOSURE_TAG = "ceremony/share-disclosure";
/** D || DLEQ proof. */
export const SHARE_DISCLOSURE_BYTES = 32 + SIGMA_PROOF_BYTES;

export interface ShareAddress {
  /** The ceremony base hash Q0 of the round. */
  ceremonyBase: Uint8Array;
  dealer: number;
  recipient: number;
}

const sharePad = (address: ShareAddress, ephemeral: Point, sharedPoint: Point): Scalar =>
  hashToScalar(SHARE_PAD_TAG, [
    address.ceremonyBase,
    u8(address.dealer),
    u8(address.recipient),
    ephemeral,
    sharedPoint,
  ]);

export function encryptShare(
  address: ShareAddress,
  recipientBoxKey: Point,
  share: Scalar,
  nonce: Scalar = randomScalar(),
): Uint8Array {
  const ephemeral = baseMul(nonce);
  const padded = scalarAdd(share, sharePad(address, ephemeral, pointMul(nonce, recipientBoxKey)));
  return concatBytes(ephemeral, padded);
}

interface ParsedShareCiphertext {
  ephemeral: Point;
  padded: Scalar;
}

function parseShareCiphertext(ciphertext: Uint8Array): ParsedShareCiphertext | null {
  if (ciphertext.length !== SHARE_CIPHERTEXT_BYTES) return null;
  const reader = new ByteReader(ciphertext);
  const ephemeral = reader.point();
  const padded = reader.scalar();
  return ephemeral === null || padded === null ? null : { ephemeral, padded };
}

/** The recipient's decryption; null when the ciphertext is malformed (the dealer is at fault). */
export function decryptShare(
  address: ShareAddress,
  boxSecret: Scalar,
  ciphertext: Uint8Array,
): Scalar | null {
  const parsed = parseShareCiphertext(ciphertext);
  if (parsed === null) return null;
  const sharedPoint = pointMul(boxSecret, parsed.ephemeral);
  return scalarSub(parsed.padded, sharePad(address, parsed.ephemeral, sharedPoint));
}

const disclosureBinding = (address: ShareAddress) => ({
  tag: SHARE_DISCLOSURE_TAG,
  context: [address.ceremonyBase, u8(address.dealer), u8(address.recipient)],
});

/**
 * The recipient discloses D = b_j * R for one ciphertext, with a proof that it
 * used its box secret, so that anyone can open that one share (and no other).
 * Returns null when the ciphertext is malformed: then no disclosure is needed.
 */
export function discloseShare(
  address: ShareAddress,
  boxSecret: Scalar,
  ciphertext: Uint8Array,
  nonce: Scalar = randomScalar(),
): Uint8Array | null {
  const parsed = parseShareCiphertext(ciphertext);
  if (parsed === null) return null;
  const sharedPoint = pointMul(boxSecret, parsed.ephemeral);
  const proof = proveDleq(
    disclosureBinding(address),
    boxSecret,
    { g1: basePoint(), h1: baseMul(boxSecret), g2: parsed.ephemeral, h2: sharedPoint },
    nonce,
  );
  return concatBytes(sharedPoint, encodeSigmaProof(proof));
}

export type OpenedShare =
  | { kind: "opened"; share: Scalar }
  | { kind: "malformed-ciphertext" }
  | { kind: "invalid-disclosure"; reason: string };

/** Anyone: open a share from a recipient's disclosure, checking the disclosure's proof. */
export function openDisclosedShare(
  address: ShareAddress,
  recipientBoxKey: Point,
  ciphertext: Uint8Array,
  disclosure: Uint8Array,
): OpenedShare {
  const parsed = parseShareCiphertext(ciphertext);
  if (parsed === null) return { kind: "malformed-ciphertext" };
  if (disclosure.length !== SHARE_DISCLOSURE_BYTES)
    return { kind: "invalid-disclosure", reason: `disclosure must be ${SHARE_DISCLOSURE_BYTES} bytes` };
  const reader = new ByteReader(disclosure);
  const sharedPoint = reader.point();
  const challenge = reader.scalar();
  const response = reader.scalar();
  if (sharedPoint === null || challenge === null || response === null)
    return { kind: "invalid-disclosure", reason: "disclosure is not canonical" };
  const proof: SigmaProof = { challenge, response };
  const statement = { g1: basePoint(), h1: recipientBoxKey, g2: parsed.ephemeral, h2: sharedPoint };
  if (!verifyDleq(disclosureBinding(address), statement, proof))
    return { kind: "invalid-disclosure", reason: "disclosure proof fails" };
  return {
    kind: "opened",
    share: scalarSub(parsed.padded, sharePad(address, parsed.ephemeral, sharedPoint)),
  };
}
