import { u32be } from "./bytes";
import { type Ciphertext, type NonceSource, encodePlaintext } from "./elgamal";
import { ByteReader, ByteWriter } from "./encoding";
import {
  basePoint,
  baseMul,
  pointMul,
  pointSub,
  randomScalar,
  scalarAdd,
  scalarEquals,
  scalarFromInt,
  scalarMul,
  scalarSub,
  type Point,
  type Scalar,
} from "./group";
import { hashToScalar } from "./hash";
import type { ProofBinding } from "./proofs";
import { groupBackend } from "./backend";

/**
 * Disjunctive Chaum-Pedersen proof (Cramer-Damgard-Schoenmakers) that an
 * exponential ElGamal ciphertext (A, B) under K encrypts a value in the integer
 * range [lo, hi]:
 *
 *   OR over m in lo..hi of  { exists r: A = r*G and B - m*G = r*K }
 *
 * Branch j (value m = lo + j) has commitments a_j = z_j*G - c_j*A and
 * b_j = z_j*K - c_j*(B - m*G). The challenges must sum to
 *
 *   c = Hq(tag; context..., u32(lo), u32(hi), K, A, B, a_0, b_0, a_1, b_1, ..., a_{n-1}, b_{n-1})
 *
 * Encoding: c_0 || ... || c_{n-1} || z_0 || ... || z_{n-1}, 64*n bytes with
 * n = hi - lo + 1: the 0/1 proof is 128 bytes (c0, c1, z0, z1); a range with
 * lo == hi is a single Chaum-Pedersen proof (c, z), 64 bytes.
 */
export interface DisjunctiveProof {
  challenges: Scalar[];
  responses: Scalar[];
}

export interface ValueRange {
  /** Smallest allowed value (inclusive). */
  lo: number;
  /** Largest allowed value (inclusive). */
  hi: number;
}

/** Enough for a contest of 64 options with 0..64 selections. */
export const MAX_DISJUNCTIVE_BRANCHES = 65;

export const ZERO_ONE: ValueRange = Object.freeze({ lo: 0, hi: 1 });

function branchCount(range: ValueRange): number | null {
  const { lo, hi } = range;
  if (!Number.isInteger(lo) || !Number.isInteger(hi) || lo < 0 || hi < lo || hi > 0xffffffff) return null;
  const n = hi - lo + 1;
  return n > MAX_DISJUNCTIVE_BRANCHES ? null : n;
}

export function disjunctiveProofBytes(range: ValueRange): number {
  const n = branchCount(range);
  if (n === null) throw new RangeError(`invalid range [${range.lo}, ${range.hi}]`);
  return 64 * n;
}

/** B - m*G for m = lo..hi, computed incrementally: one subtraction per branch. */
function shiftedB(b: Point, range: ValueRange, n: number): Point[] {
  const out: Point[] = new Array(n);
  const g = basePoint();
  out[0] = range.lo === 0 ? b : pointSub(b, encodePlaintext(range.lo));
  for (let j = 1; j < n; j++) out[j] = pointSub(out[j - 1], g);
  return out;
}

function challengeOf(
  binding: ProofBinding,
  range: ValueRange,
  publicKey: Point,
  ciphertext: Ciphertext,
  commitments: Point[],
): Scalar {
  return hashToScalar(binding.tag, [
    ...binding.context,
    u32be(range.lo),
    u32be(range.hi),
    publicKey,
    ciphertext.a,
    ciphertext.b,
    ...commitments,
  ]);
}

/**
 * Proves that `ciphertext` = Enc_K(value; nonce) with value in [lo, hi].
 * Randomness is drawn from `nonces` in this order: the real branch's commitment
 * nonce w, then for every other branch j in increasing order c_j and z_j.
 * Throws if the statement is false (a programming error on the prover side).
 */
export function proveValueInRange(
  binding: ProofBinding,
  publicKey: Point,
  ciphertext: Ciphertext,
  value: number,
  nonce: Scalar,
  range: ValueRange,
  nonces: NonceSource = randomScalar,
): DisjunctiveProof {
  const n = branchCount(range);
  if (n === null) throw new RangeError(`invalid range [${range.lo}, ${range.hi}]`);
  if (!Number.isInteger(value) || value < range.lo || value > range.hi)
    throw new RangeError(`value ${value} outside [${range.lo}, ${range.hi}]`);
  const real = value - range.lo;
  const shifted = shiftedB(ciphertext.b, range, n);
  const challenges: Scalar[] = new Array(n);
  const responses: Scalar[] = new Array(n);
  const commitments: Point[] = new Array(2 * n);

  const w = nonces();
  commitments[2 * real] = baseMul(w);
  commitments[2 * real + 1] = pointMul(w, publicKey);
  let simulatedSum = scalarFromInt(0);
  for (let j = 0; j < n; j++) {
    if (j === real) continue;
    const c = nonces();
    const z = nonces();
    challenges[j] = c;
    responses[j] = z;
    simulatedSum = scalarAdd(simulatedSum, c);
    commitments[2 * j] = pointSub(baseMul(z), pointMul(c, ciphertext.a));
    commitments[2 * j + 1] = pointSub(pointMul(z, publicKey), pointMul(c, shifted[j]));
  }
  const c = challengeOf(binding, range, publicKey, ciphertext, commitments);
  const cReal = scalarSub(c, simulatedSum);
  challenges[real] = cReal;
  responses[real] = scalarAdd(w, scalarMul(cReal, nonce));
  return { challenges, responses };
}

/**
 * Verifies a disjunctive proof. Never throws for decoded (canonical) inputs: a
 * zero scalar or an identity point makes the equations fail, not the code.
 * The backend recomputes the commitments (native: one multi-scalar
 * multiplication each over precomputed tables; wasm: one fixed-base and three
 * variable-base multiplications and two subtractions per branch) and sums the
 * challenges; the hash is computed here.
 */
export function verifyValueInRange(
  binding: ProofBinding,
  publicKey: Point,
  ciphertext: Ciphertext,
  range: ValueRange,
  proof: DisjunctiveProof,
): boolean {
  const n = branchCount(range);
  if (n === null || proof.challenges.length !== n || proof.responses.length !== n) return false;
  const recomputed = groupBackend().rangeProofCommitments(
    publicKey,
    ciphertext.a,
    ciphertext.b,
    range.lo,
    encodeDisjunctiveProof(proof),
  );
  return checkRecomputedProof(binding, range, publicKey, ciphertext, recomputed, 0);
}

/**
 * The last step of verifying a disjunctive proof of n branches from the
 * backend's output at `offset` (sum(c_j) || a_0 || b_0 || ... , see
 * GroupBackend.rangeProofCommitments): whether the challenges sum to the hash
 * of the statement and the recomputed commitments.
 */
export function checkRecomputedProof(
  binding: ProofBinding,
  range: ValueRange,
  publicKey: Point,
  ciphertext: Ciphertext,
  recomputed: Uint8Array,
  offset: number,
): boolean {
  const n = range.hi - range.lo + 1;
  const sum = recomputed.subarray(offset, offset + 32) as Scalar;
  const commitments: Point[] = new Array(2 * n);
  for (let k = 0; k < 2 * n; k++)
    commitments[k] = recomputed.subarray(offset + 32 + 32 * k, offset + 64 + 32 * k) as Point;
  return scalarEquals(sum, challengeOf(binding, range, publicKey, ciphertext, commitments));
}

export function encodeDisjunctiveProof(proof: DisjunctiveProof): Uint8Array {
  const writer = new ByteWriter();
  for (const c of proof.challenges) writer.bytes(c);
  for (const z of proof.responses) writer.bytes(z);
  return writer.finish();
}

/** Reads the proof of a range with `branches` branches; null on short or non-canonical scalars. */
export function readDisjunctiveProof(reader: ByteReader, branches: number): DisjunctiveProof | null {
  if (!Number.isInteger(branches) || branches < 1 || branches > MAX_DISJUNCTIVE_BRANCHES) return null;
  const challenges: Scalar[] = new Array(branches);
  const responses: Scalar[] = new Array(branches);
  for (let j = 0; j < branches; j++) {
    const c = reader.scalar();
    if (c === null) return null;
    challenges[j] = c;
  }
  for (let j = 0; j < branches; j++) {
    const z = reader.scalar();
    if (z === null) return null;
    responses[j] = z;
  }
  return { challenges, responses };
}
