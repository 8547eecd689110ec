import { expect } from "chai";
import { bytesEqual, utf8 } from "../../server/protocol/primitives/bytes";
import {
  ZERO_ONE,
  disjunctiveProofBytes,
  encodeDisjunctiveProof,
  proveValueInRange,
  readDisjunctiveProof,
  verifyValueInRange,
  type DisjunctiveProof,
  type ValueRange,
} from "../../server/protocol/primitives/disjunctive";
import { createDlogTable, smallDiscreteLog, MAX_DLOG_STRIDE } from "../../server/protocol/primitives/dlog";
import {
  addCiphertexts,
  decodeCiphertext,
  decryptToPoint,
  encodeCiphertext,
  encodePlaintext,
  encrypt,
  openWithNonce,
  sumCiphertexts,
} from "../../server/protocol/primitives/elgamal";
import { ByteReader } from "../../server/protocol/primitives/encoding";
import {
  baseMul,
  basePoint,
  identity,
  isIdentity,
  pointAdd,
  pointEquals,
  randomScalar,
  scalarAdd,
  scalarFromBigint,
  scalarFromInt,
  scalarMul,
  GROUP_ORDER,
  type Scalar,
} from "../../server/protocol/primitives/group";
import {
  lagrangeCoefficientAtZero,
  lagrangeCoefficientsAtZero,
} from "../../server/protocol/primitives/lagrange";
import type { ProofBinding } from "../../server/protocol/primitives/proofs";
import { initCrypto } from "../../server/protocol/primitives/sodium";

const binding: ProofBinding = { tag: "test-range", context: [utf8("context")] };

describe("protocol: exponential ElGamal", () => {
  before(initCrypto);
  const secret = () => randomScalar();

  it("encrypts 0 without multiplying by zero and decrypts to v*G", () => {
    const k = secret();
    const key = baseMul(k);
    for (const v of [0, 1, 2, 7]) {
      const ct = encrypt(key, v);
      expect(isIdentity(ct.a)).to.equal(false);
      expect(pointEquals(decryptToPoint(k, ct), encodePlaintext(v))).to.equal(true);
    }
    expect(isIdentity(encodePlaintext(0))).to.equal(true);
    expect(pointEquals(encodePlaintext(1), basePoint())).to.equal(true);
    expect(() => encodePlaintext(-1)).to.throw(RangeError);
  });

  it("is additively homomorphic, the empty sum is the identity", () => {
    const k = secret();
    const key = baseMul(k);
    const cts = [1, 0, 1, 1].map((v) => encrypt(key, v));
    const sum = sumCiphertexts(cts);
    expect(pointEquals(decryptToPoint(k, sum), encodePlaintext(3))).to.equal(true);
    const two = addCiphertexts(cts[0], cts[2]);
    expect(pointEquals(decryptToPoint(k, two), encodePlaintext(2))).to.equal(true);
    const empty = sumCiphertexts([]);
    expect(isIdentity(empty.a) && isIdentity(empty.b)).to.equal(true);
  });

  it("encodes to 64 bytes; decoding refuses the identity unless allowed", () => {
    const key = baseMul(secret());
    const nonce = randomScalar();
    const ct = encrypt(key, 1, nonce);
    const bytes = encodeCiphertext(ct);
    expect(bytes.length).to.equal(64);
    const back = decodeCiphertext(bytes)!;
    expect(bytesEqual(encodeCiphertext(back), bytes)).to.equal(true);
    const zero = encodeCiphertext({ a: identity(), b: ct.b });
    expect(decodeCiphertext(zero)).to.equal(null);
    expect(decodeCiphertext(zero, { allowIdentity: true })).to.not.equal(null);
    expect(decodeCiphertext(bytes.subarray(0, 63))).to.equal(null);
    expect(decodeCiphertext(new Uint8Array(64).fill(0xff))).to.equal(null);
  });

  it("opens with the nonce (Benaloh) and refuses a wrong nonce", () => {
    const key = baseMul(secret());
    const nonce = randomScalar();
    expect(openWithNonce(key, encrypt(key, 0, nonce), nonce)).to.equal(0);
    expect(openWithNonce(key, encrypt(key, 1, nonce), nonce)).to.equal(1);
    expect(openWithNonce(key, encrypt(key, 2, nonce), nonce)).to.equal(null);
    expect(openWithNonce(key, encrypt(key, 2, nonce), nonce, 3)).to.equal(2);
    expect(openWithNonce(key, encrypt(key, 1, nonce), randomScalar())).to.equal(null);
  });
});

describe("protocol: disjunctive Chaum-Pedersen range proofs", () => {
  before(initCrypto);

  function roundTrip(range: ValueRange, value: number) {
    const key = baseMul(randomScalar());
    const nonce = randomScalar();
    const ct = encrypt(key, value, nonce);
    const proof = proveValueInRange(binding, key, ct, value, nonce, range);
    return { key, nonce, ct, proof };
  }

  it("0/1 proofs verify for both values and are 128 bytes", () => {
    for (const v of [0, 1]) {
      const { key, ct, proof } = roundTrip(ZERO_ONE, v);
      expect(verifyValueInRange(binding, key, ct, ZERO_ONE, proof)).to.equal(true);
      const bytes = encodeDisjunctiveProof(proof);
      expect(bytes.length).to.equal(128);
      const back = readDisjunctiveProof(new ByteReader(bytes), 2)!;
      expect(verifyValueInRange(binding, key, ct, ZERO_ONE, back)).to.equal(true);
    }
  });

  it("range proofs: min = 0, min = max (single branch, 64 bytes), max = k, every value", () => {
    const ranges: ValueRange[] = [
      { lo: 0, hi: 3 },
      { lo: 1, hi: 1 },
      { lo: 0, hi: 0 },
      { lo: 2, hi: 5 },
      { lo: 5, hi: 5 },
    ];
    for (const range of ranges) {
      expect(disjunctiveProofBytes(range)).to.equal(64 * (range.hi - range.lo + 1));
      for (let v = range.lo; v <= range.hi; v++) {
        const { key, ct, proof } = roundTrip(range, v);
        expect(
          verifyValueInRange(binding, key, ct, range, proof),
          `[${range.lo},${range.hi}] v=${v}`,
        ).to.equal(true);
        expect(encodeDisjunctiveProof(proof).length).to.equal(disjunctiveProofBytes(range));
      }
    }
  });

  it("the prover refuses a value outside the range", () => {
    const key = baseMul(randomScalar());
    const nonce = randomScalar();
    expect(() => proveValueInRange(binding, key, encrypt(key, 2, nonce), 2, nonce, ZERO_ONE)).to.throw(
      RangeError,
    );
    expect(() =>
      proveValueInRange(binding, key, encrypt(key, 0, nonce), 0, nonce, { lo: 1, hi: 0 }),
    ).to.throw(RangeError);
  });

  it("a proof made for a false statement does not verify (value 2 claimed as 0/1)", () => {
    // An honest proof for value 1 transplanted onto an encryption of 2 with the same nonce.
    const key = baseMul(randomScalar());
    const nonce = randomScalar();
    const proof = proveValueInRange(binding, key, encrypt(key, 1, nonce), 1, nonce, ZERO_ONE);
    expect(verifyValueInRange(binding, key, encrypt(key, 2, nonce), ZERO_ONE, proof)).to.equal(false);
  });

  it("fails on another binding, key, ciphertext, range, or a modified scalar", () => {
    const { key, ct, proof } = roundTrip({ lo: 0, hi: 2 }, 1);
    const range = { lo: 0, hi: 2 };
    expect(verifyValueInRange(binding, key, ct, range, proof)).to.equal(true);
    expect(
      verifyValueInRange({ tag: "test-range", context: [utf8("other")] }, key, ct, range, proof),
    ).to.equal(false);
    expect(verifyValueInRange({ tag: "other", context: binding.context }, key, ct, range, proof)).to.equal(
      false,
    );
    expect(verifyValueInRange(binding, baseMul(randomScalar()), ct, range, proof)).to.equal(false);
    const other = encrypt(key, 1);
    expect(verifyValueInRange(binding, key, other, range, proof)).to.equal(false);
    expect(verifyValueInRange(binding, key, ct, { lo: 1, hi: 3 }, proof)).to.equal(false);
    expect(verifyValueInRange(binding, key, ct, { lo: 0, hi: 1 }, proof)).to.equal(false);
    const tweak = (p: DisjunctiveProof, which: "challenges" | "responses", i: number): DisjunctiveProof => {
      const copy = { challenges: [...p.challenges], responses: [...p.responses] };
      copy[which][i] = scalarAdd(copy[which][i], scalarFromInt(1));
      return copy;
    };
    for (let i = 0; i < 3; i++) {
      expect(verifyValueInRange(binding, key, ct, range, tweak(proof, "challenges", i))).to.equal(false);
      expect(verifyValueInRange(binding, key, ct, range, tweak(proof, "responses", i))).to.equal(false);
    }
  });

  it("never throws on zero scalars, identity points or wrong shapes", () => {
    const { key, ct, proof } = roundTrip(ZERO_ONE, 0);
    const zero = scalarFromInt(0);
    const zeroProof = { challenges: [zero, zero], responses: [zero, zero] };
    expect(verifyValueInRange(binding, key, ct, ZERO_ONE, zeroProof)).to.equal(false);
    expect(verifyValueInRange(binding, key, { a: identity(), b: identity() }, ZERO_ONE, proof)).to.equal(
      false,
    );
    expect(verifyValueInRange(binding, key, { a: identity(), b: identity() }, ZERO_ONE, zeroProof)).to.equal(
      false,
    );
    expect(
      verifyValueInRange(binding, key, ct, ZERO_ONE, { challenges: [zero], responses: [zero] }),
    ).to.equal(false);
    expect(verifyValueInRange(binding, key, ct, { lo: 2, hi: 1 }, proof)).to.equal(false);
    expect(verifyValueInRange(binding, key, ct, { lo: 0, hi: 1000 }, proof)).to.equal(false);
    expect(readDisjunctiveProof(new ByteReader(new Uint8Array(127)), 2)).to.equal(null);
    expect(readDisjunctiveProof(new ByteReader(new Uint8Array(128).fill(0xff)), 2)).to.equal(null);
    expect(readDisjunctiveProof(new ByteReader(new Uint8Array(128)), 0)).to.equal(null);
  });
});

describe("protocol: Lagrange coefficients at zero", () => {
  before(initCrypto);

  it("interpolate f(0) from any t of n shares", () => {
    const t = 3;
    const coefficients = Array.from({ length: t }, () => randomScalar());
    const f = (x: number): Scalar =>
      coefficients.reduceRight((acc, a) => scalarAdd(scalarMul(acc, scalarFromInt(x)), a), scalarFromInt(0));
    const subsets = [
      [1, 2, 3],
      [1, 3, 5],
      [2, 4, 5],
      [5, 4, 1],
      [1, 2, 3, 4, 5],
    ];
    for (const subset of subsets) {
      const lambdas = lagrangeCoefficientsAtZero(subset);
      const value = subset.reduce(
        (acc, i, k) => scalarAdd(acc, scalarMul(lambdas[k], f(i))),
        scalarFromInt(0),
      );
      expect(bytesEqual(value, coefficients[0]), subset.join(",")).to.equal(true);
    }
  });

  it("known values and rejections", () => {
    // S = {1, 2}: lambda_1 = 2, lambda_2 = -1.
    expect(bytesEqual(lagrangeCoefficientAtZero(1, [1, 2]), scalarFromInt(2))).to.equal(true);
    expect(bytesEqual(lagrangeCoefficientAtZero(2, [1, 2]), scalarFromBigint(GROUP_ORDER - 1n))).to.equal(
      true,
    );
    expect(bytesEqual(lagrangeCoefficientAtZero(4, [4]), scalarFromInt(1))).to.equal(true);
    expect(() => lagrangeCoefficientAtZero(3, [1, 2])).to.throw(RangeError);
    expect(() => lagrangeCoefficientsAtZero([1, 1])).to.throw(RangeError);
    expect(() => lagrangeCoefficientsAtZero([0, 1])).to.throw(RangeError);
    expect(() => lagrangeCoefficientsAtZero([])).to.throw(RangeError);
  });
});

describe("protocol: baby-step giant-step", () => {
  before(initCrypto);

  it("recovers 0 (identity), 1, the bound, and refuses beyond the bound", () => {
    const max = 1000;
    const table = createDlogTable(max, 3);
    for (const t of [0, 1, 2, 31, 32, 33, 999, 1000])
      expect(smallDiscreteLog(table, encodePlaintext(t)), `T=${t}`).to.equal(t);
    expect(smallDiscreteLog(table, encodePlaintext(1001))).to.equal(null);
    expect(smallDiscreteLog(table, baseMul(randomScalar()))).to.equal(null);
  });

  it("degenerate bounds: 0 and 1", () => {
    const zero = createDlogTable(0);
    expect(smallDiscreteLog(zero, identity())).to.equal(0);
    expect(smallDiscreteLog(zero, basePoint())).to.equal(null);
    const one = createDlogTable(1);
    expect(smallDiscreteLog(one, identity())).to.equal(0);
    expect(smallDiscreteLog(one, basePoint())).to.equal(1);
    expect(smallDiscreteLog(one, pointAdd(basePoint(), basePoint()))).to.equal(null);
    expect(() => createDlogTable(-1)).to.throw(RangeError);
  });

  it("recovers T = 9,999,999 for a 10-million bound quickly", function () {
    this.timeout(20_000);
    const start = Date.now();
    const table = createDlogTable(10_000_000, 1);
    expect(table.stride).to.be.at.most(MAX_DLOG_STRIDE);
    expect(smallDiscreteLog(table, encodePlaintext(9_999_999))).to.equal(9_999_999);
    expect(smallDiscreteLog(table, encodePlaintext(10_000_000))).to.equal(10_000_000);
    expect(Date.now() - start).to.be.below(5_000);
  });
});
