import { ByteReader, ByteWriter } from "./encoding";
import {
  baseMul,
  pointMul,
  pointSub,
  randomScalar,
  scalarAdd,
  scalarEquals,
  scalarMul,
  type Point,
  type Scalar,
} from "./group";
import { hashToScalar } from "./hash";

/**
 * Sigma protocols made non-interactive with Fiat-Shamir. Every challenge is
 * Hq(tag; context..., statement..., commitments...): the caller supplies the
 * domain tag and the context (base hash, ids, nullifier) that bind the proof
 * to its place in the protocol. A proof is (c, z), 64 bytes.
 */
export interface SigmaProof {
  challenge: Scalar;
  response: Scalar;
}

export const SIGMA_PROOF_BYTES = 64;

export const encodeSigmaProof = (proof: SigmaProof): Uint8Array =>
  new ByteWriter().bytes(proof.challenge).bytes(proof.response).finish();

export function readSigmaProof(reader: ByteReader): SigmaProof | null {
  const challenge = reader.scalar();
  const response = reader.scalar();
  return challenge === null || response === null ? null : { challenge, response };
}

/** Domain and context of a proof: Hq(tag; context..., statement..., commitments...). */
export interface ProofBinding {
  tag: string;
  context: readonly Uint8Array[];
}

/** Knowledge of x with X = x*G (Schnorr). */
export function proveDiscreteLog(
  binding: ProofBinding,
  secret: Scalar,
  publicPoint: Point,
  nonce = randomScalar(),
): SigmaProof {
  const commitment = baseMul(nonce);
  const challenge = hashToScalar(binding.tag, [...binding.context, publicPoint, commitment]);
  return { challenge, response: scalarAdd(nonce, scalarMul(challenge, secret)) };
}

export function verifyDiscreteLog(binding: ProofBinding, publicPoint: Point, proof: SigmaProof): boolean {
  const commitment = pointSub(baseMul(proof.response), pointMul(proof.challenge, publicPoint));
  return scalarEquals(
    proof.challenge,
    hashToScalar(binding.tag, [...binding.context, publicPoint, commitment]),
  );
}

/**
 * Equality of discrete logs (Chaum-Pedersen): x with H1 = x*G1 and H2 = x*G2.
 * Used for decryption shares (G1 = G, H1 = key share, G2 = A, H2 = share) and
 * for key-ceremony complaints.
 */
export interface DleqStatement {
  g1: Point;
  h1: Point;
  g2: Point;
  h2: Point;
}

export function proveDleq(
  binding: ProofBinding,
  secret: Scalar,
  statement: DleqStatement,
  nonce = randomScalar(),
): SigmaProof {
  const a1 = pointMul(nonce, statement.g1);
  const a2 = pointMul(nonce, statement.g2);
  const challenge = dleqChallenge(binding, statement, a1, a2);
  return { challenge, response: scalarAdd(nonce, scalarMul(challenge, secret)) };
}

export function verifyDleq(binding: ProofBinding, statement: DleqStatement, proof: SigmaProof): boolean {
  const a1 = pointSub(pointMul(proof.response, statement.g1), pointMul(proof.challenge, statement.h1));
  const a2 = pointSub(pointMul(proof.response, statement.g2), pointMul(proof.challenge, statement.h2));
  return scalarEquals(proof.challenge, dleqChallenge(binding, statement, a1, a2));
}

function dleqChallenge(binding: ProofBinding, s: DleqStatement, a1: Point, a2: Point): Scalar {
  return hashToScalar(binding.tag, [...binding.context, s.g1, s.h1, s.g2, s.h2, a1, a2]);
}
