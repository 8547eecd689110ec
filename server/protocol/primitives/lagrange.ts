import { GROUP_ORDER, scalarFromBigint, type Scalar } from "./group";

/**
 * Lagrange interpolation at x = 0 over Z_q, for threshold decryption: with
 * shares s_i = f(i) of a polynomial f of degree < t and any set S of at least
 * t distinct indices, f(0) = sum over i in S of lambda_i * s_i where
 *
 *   lambda_i = prod over j in S, j != i of  j / (j - i)   (mod q)
 */
function modInverse(value: bigint): bigint {
  let a = ((value % GROUP_ORDER) + GROUP_ORDER) % GROUP_ORDER;
  if (a === 0n) throw new RangeError("zero has no inverse");
  let m = GROUP_ORDER;
  let x0 = 0n;
  let x1 = 1n;
  while (a > 1n) {
    const quotient = a / m;
    [a, m] = [m, a % m];
    [x0, x1] = [x1 - quotient * x0, x0];
  }
  return x1 < 0n ? x1 + GROUP_ORDER : x1;
}

/** Indices must be distinct integers >= 1 (trustee indices); anything else throws. */
function checkIndices(indices: readonly number[]): void {
  if (indices.length === 0) throw new RangeError("no indices");
  const seen = new Set<number>();
  for (const index of indices) {
    if (!Number.isSafeInteger(index) || index < 1) throw new RangeError(`invalid index ${index}`);
    if (seen.has(index)) throw new RangeError(`duplicate index ${index}`);
    seen.add(index);
  }
}

export function lagrangeCoefficientAtZero(index: number, indices: readonly number[]): Scalar {
  checkIndices(indices);
  if (!indices.includes(index)) throw new RangeError(`index ${index} is not in the set`);
  let numerator = 1n;
  let denominator = 1n;
  const i = BigInt(index);
  for (const other of indices) {
    if (other === index) continue;
    const j = BigInt(other);
    numerator = (numerator * j) % GROUP_ORDER;
    denominator = (denominator * (j - i)) % GROUP_ORDER;
  }
  return scalarFromBigint(numerator * modInverse(denominator));
}

/** lambda_i for every i in the set, in the set's order. */
export function lagrangeCoefficientsAtZero(indices: readonly number[]): Scalar[] {
  checkIndices(indices);
  return indices.map((index) => lagrangeCoefficientAtZero(index, indices));
}
