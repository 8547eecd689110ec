import { ByteReader, ByteWriter } from "./encoding";
import {
  baseMul,
  basePoint,
  identity,
  isIdentity,
  pointAdd,
  pointEquals,
  pointMul,
  pointSub,
  randomScalar,
  smallMultipleOfBase,
  type DecodePointOptions,
  type Point,
  type Scalar,
} from "./group";

/**
 * Exponential ElGamal over ristretto255 under a public key K:
 *
 *   Enc_K(v; r) = (A, B) = (r*G, v*G + r*K)
 *
 * The plaintext is the exponent v, a small non-negative integer (a vote 0/1 or
 * a count). Ciphertexts add component-wise: Enc(v1; r1) + Enc(v2; r2) = Enc(v1 + v2; r1 + r2).
 * Decryption yields v*G = B - k*A; the exponent is then recovered by a bounded
 * discrete-log search (see dlog.ts).
 */
export interface Ciphertext {
  /** A = r*G */
  a: Point;
  /** B = v*G + r*K */
  b: Point;
}

export const CIPHERTEXT_BYTES = 64;

/**
 * Where protocol randomness comes from: every call returns a fresh uniform
 * non-zero scalar. Production code uses `randomScalar` (libsodium); known-answer
 * vectors inject a deterministic source.
 */
export type NonceSource = () => Scalar;

/**
 * v*G for a small non-negative integer, without ever multiplying by zero:
 * libsodium refuses an identity result, so v = 0 maps to the identity directly.
 */
export function encodePlaintext(value: number | bigint): Point {
  const v = BigInt(value);
  if (v < 0n) throw new RangeError(`plaintext must be non-negative, got ${value}`);
  if (v === 0n) return identity();
  if (v === 1n) return basePoint();
  return smallMultipleOfBase(v);
}

/** Enc_K(v; r). The nonce r must be non-zero (randomScalar never returns zero). */
export function encrypt(
  publicKey: Point,
  value: number | bigint,
  nonce: Scalar = randomScalar(),
): Ciphertext {
  const a = baseMul(nonce);
  const rk = pointMul(nonce, publicKey);
  const v = BigInt(value);
  const b = v === 0n ? rk : pointAdd(encodePlaintext(v), rk);
  return { a, b };
}

/** Homomorphic addition: the encryption of the sum of the plaintexts. */
export const addCiphertexts = (x: Ciphertext, y: Ciphertext): Ciphertext => ({
  a: pointAdd(x.a, y.a),
  b: pointAdd(x.b, y.b),
});

/** The sum of a list of ciphertexts; the empty sum is (identity, identity). */
export function sumCiphertexts(list: readonly Ciphertext[]): Ciphertext {
  if (list.length === 0) return { a: identity(), b: identity() };
  let a = list[0].a;
  let b = list[0].b;
  for (let i = 1; i < list.length; i++) {
    a = pointAdd(a, list[i].a);
    b = pointAdd(b, list[i].b);
  }
  return { a, b };
}

/** v*G = B - s*A: decryption with the whole secret key (tests, single-trustee tools). */
export const decryptToPoint = (secretKey: Scalar, ciphertext: Ciphertext): Point =>
  pointSub(ciphertext.b, pointMul(secretKey, ciphertext.a));

/**
 * Checks that `ciphertext` is Enc_K(v; nonce) for some v in {0, 1, ..., maxValue}
 * and returns v, or null. This is how a revealed (Benaloh-challenged) ballot is opened.
 */
export function openWithNonce(
  publicKey: Point,
  ciphertext: Ciphertext,
  nonce: Scalar,
  maxValue = 1,
): number | null {
  if (!pointEquals(baseMul(nonce), ciphertext.a)) return null;
  const vG = pointSub(ciphertext.b, pointMul(nonce, publicKey));
  if (isIdentity(vG)) return 0;
  let candidate = basePoint();
  for (let v = 1; v <= maxValue; v++) {
    if (pointEquals(candidate, vG)) return v;
    if (v < maxValue) candidate = pointAdd(candidate, basePoint());
  }
  return null;
}

/** A || B, 64 bytes. */
export const encodeCiphertext = (ciphertext: Ciphertext): Uint8Array =>
  new ByteWriter().bytes(ciphertext.a).bytes(ciphertext.b).finish();

/**
 * Reads A || B. By default both points must be valid and non-identity (a ballot's
 * ciphertext); aggregates pass `allowIdentity` (the empty sum is the identity).
 */
export function readCiphertext(reader: ByteReader, options: DecodePointOptions = {}): Ciphertext | null {
  const a = reader.point(options);
  const b = reader.point(options);
  return a === null || b === null ? null : { a, b };
}

export function decodeCiphertext(bytes: Uint8Array, options: DecodePointOptions = {}): Ciphertext | null {
  if (bytes.length !== CIPHERTEXT_BYTES) return null;
  return readCiphertext(new ByteReader(bytes), options);
}
