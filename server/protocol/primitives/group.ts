import { lib } from "./sodium";
import { groupBackend } from "./backend";
import { bytesEqual } from "./bytes";

/**
 * The prime-order group ristretto255 (RFC 9496) through libsodium: point
 * operations run on the backend initCrypto() chose (the native addon over the
 * system libsodium, or the wasm build; see backend.ts), scalar arithmetic on
 * the wasm build.
 *
 * Points and scalars are carried as their canonical 32-byte encodings, branded
 * so that a decoded (checked) value cannot be confused with raw bytes. Hostile
 * bytes enter only through `decodePoint` / `decodeScalar`, which return null on
 * anything non-canonical.
 */
export type Scalar = Uint8Array & { readonly __brand: "Scalar" };
export type Point = Uint8Array & { readonly __brand: "Point" };

export const GROUP_ID = "ristretto255";
export const SCALAR_BYTES = 32;
export const POINT_BYTES = 32;
/** Group order q = 2^252 + 27742317777372353535851937790883648493. */
export const GROUP_ORDER = (1n << 252n) + 27742317777372353535851937790883648493n;

const IDENTITY_BYTES = new Uint8Array(32);

export function identity(): Point {
  return new Uint8Array(IDENTITY_BYTES) as Point;
}

export function isIdentity(point: Point): boolean {
  return bytesEqual(point, IDENTITY_BYTES);
}

// ---------------------------------------------------------------- scalars

function littleEndianToBigint(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]);
  return value;
}

/** Canonical scalar: exactly 32 bytes, little-endian, strictly below the group order. */
export function decodeScalar(bytes: Uint8Array): Scalar | null {
  if (bytes.length !== SCALAR_BYTES) return null;
  // q = 2^252 + ...: a top byte below 0x10 means < 2^252 < q (the common case, no bigint needed).
  if (bytes[31] >= 0x10 && littleEndianToBigint(bytes) >= GROUP_ORDER) return null;
  return new Uint8Array(bytes) as Scalar;
}

export function scalarFromBigint(value: bigint): Scalar {
  let reduced = value % GROUP_ORDER;
  if (reduced < 0n) reduced += GROUP_ORDER;
  const out = new Uint8Array(SCALAR_BYTES);
  for (let i = 0; i < SCALAR_BYTES; i++) {
    out[i] = Number(reduced & 0xffn);
    reduced >>= 8n;
  }
  return out as Scalar;
}

export function scalarToBigint(scalar: Scalar): bigint {
  return littleEndianToBigint(scalar);
}

export const scalarFromInt = (value: number): Scalar => scalarFromBigint(BigInt(value));

export function isZeroScalar(scalar: Scalar): boolean {
  return bytesEqual(scalar, IDENTITY_BYTES);
}

/**
 * Uniform in [1, q): zero is excluded so that nonces and secret keys never vanish.
 * 64 bytes from the platform CSPRNG (Web Crypto, in Node and browsers) reduced
 * modulo q (bias below 2^-250); libsodium's own RNG costs about 0.4 ms a call
 * under wasm.
 */
export function randomScalar(): Scalar {
  const wide = new Uint8Array(64);
  for (;;) {
    globalThis.crypto.getRandomValues(wide);
    const scalar = reduceWide(wide);
    wide.fill(0);
    if (!isZeroScalar(scalar)) return scalar;
  }
}

/** Wide reduction of 64 bytes (little-endian) modulo q: the unbiased hash-to-scalar. */
export function reduceWide(bytes64: Uint8Array): Scalar {
  if (bytes64.length !== 64) throw new RangeError("wide reduction needs 64 bytes");
  return lib().crypto_core_ristretto255_scalar_reduce(bytes64) as Scalar;
}

export const scalarAdd = (a: Scalar, b: Scalar): Scalar =>
  lib().crypto_core_ristretto255_scalar_add(a, b) as Scalar;
export const scalarSub = (a: Scalar, b: Scalar): Scalar =>
  lib().crypto_core_ristretto255_scalar_sub(a, b) as Scalar;
export const scalarMul = (a: Scalar, b: Scalar): Scalar =>
  lib().crypto_core_ristretto255_scalar_mul(a, b) as Scalar;
export const scalarNeg = (a: Scalar): Scalar => lib().crypto_core_ristretto255_scalar_negate(a) as Scalar;

export function scalarInvert(a: Scalar): Scalar {
  if (isZeroScalar(a)) throw new RangeError("zero has no inverse");
  return lib().crypto_core_ristretto255_scalar_invert(a) as Scalar;
}

export const scalarEquals = (a: Scalar, b: Scalar): boolean => bytesEqual(a, b);

// ---------------------------------------------------------------- points

export interface DecodePointOptions {
  /** The identity is refused unless the caller says it may occur (e.g. a tally of zero). */
  allowIdentity?: boolean;
}

/** Canonical ristretto255 encoding; rejects non-canonical bytes and, by default, the identity. */
export function decodePoint(bytes: Uint8Array, options: DecodePointOptions = {}): Point | null {
  if (bytes.length !== POINT_BYTES) return null;
  if (!groupBackend().isValidPoint(bytes)) return null;
  if (!options.allowIdentity && bytesEqual(bytes, IDENTITY_BYTES)) return null;
  return new Uint8Array(bytes) as Point;
}

export const pointAdd = (a: Point, b: Point): Point => groupBackend().add(a, b) as Point;
export const pointSub = (a: Point, b: Point): Point => groupBackend().sub(a, b) as Point;
export const pointEquals = (a: Point, b: Point): boolean => bytesEqual(a, b);

/**
 * s * P. libsodium refuses a result equal to the identity (it happens only for
 * s = 0 or P = identity in a prime-order group); that case is returned as the
 * identity instead of an exception, so hostile zero scalars fail verification
 * by comparison rather than by throwing.
 */
export function pointMul(scalar: Scalar, point: Point): Point {
  if (isZeroScalar(scalar) || isIdentity(point)) return identity();
  return groupBackend().scalarMul(scalar, point) as Point;
}

/** s * G, with 0 * G = identity (see pointMul). */
export function baseMul(scalar: Scalar): Point {
  if (isZeroScalar(scalar)) return identity();
  return groupBackend().baseMul(scalar) as Point;
}

let cachedBase: Point | null = null;
/** The standard ristretto255 generator G. */
export function basePoint(): Point {
  if (cachedBase === null) cachedBase = baseMul(scalarFromInt(1));
  return new Uint8Array(cachedBase) as Point;
}

/** v * G for a small non-negative integer (a vote, a count). */
export const smallMultipleOfBase = (value: number | bigint): Point =>
  baseMul(scalarFromBigint(BigInt(value)));
