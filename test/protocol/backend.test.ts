/**
 * The native ristretto255 addon against libsodium's wasm build: both must give
 * the same bytes (and the same refusals) on random and adversarial inputs and on
 * the RFC 9496 vectors, in the main thread and in worker threads. Skipped, with
 * a message, only when the addon has not been built (no compiler or no
 * libsodium-dev); an addon that is built but does not load is a failure.
 */
import { expect } from "chai";
import { existsSync } from "node:fs";
import path from "node:path";
import { Worker } from "node:worker_threads";
import { encryptBallot } from "../../server/protocol/ballot";
import {
  BACKEND_ENV,
  cryptoBackend,
  nativeBackend,
  wasmBackend,
  type GroupBackend,
} from "../../server/protocol/primitives/backend";
import { GROUP_ORDER, randomScalar, scalarFromBigint } from "../../server/protocol/primitives/group";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { VerifierPool } from "../../server/verifier/pool";
import { dummyCredential, nullifierOf, referenceManifest, setupElection } from "./fixtures";
import { INVALID_ENCODINGS, SMALL_MULTIPLES } from "./rfc9496";

const ADDON_FILE = path.join(
  __dirname,
  "../../server/protocol/primitives/native/build/Release/ristretto.node",
);
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
const randomBytes = (n: number) => globalThis.crypto.getRandomValues(new Uint8Array(n));
const IDENTITY = new Uint8Array(32);
/** The field prime 2^255 - 19, little-endian. */
const FIELD_PRIME = (1n << 255n) - 19n;

function littleEndian(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  for (let i = 0; i < 32; i++) out[i] = Number((value >> BigInt(8 * i)) & 0xffn);
  return out;
}
const fromLittleEndian = (b: Uint8Array) => b.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
/**
 * A valid encoding with the top bit set: libsodium before 1.0.19 (Debian 12's
 * 1.0.18) ignores that bit and accepts it, RFC 9496 and the wasm build refuse it.
 */
function withTopBit(point: Uint8Array): Uint8Array {
  const high = point.slice();
  high[31] |= 0x80;
  return high;
}

/** The result's hex, or "throws" — so that both backends can be compared on refusals too. */
function outcome(fn: () => Uint8Array | boolean): string {
  try {
    const value = fn();
    return typeof value === "boolean" ? String(value) : hex(value);
  } catch {
    return "throws";
  }
}

describe("protocol: crypto backend selection", () => {
  it("runs the backend BALLOT_LEDGER_CRYPTO_BACKEND asks for, else native when built, else wasm", async () => {
    await initCrypto();
    const wanted = process.env[BACKEND_ENV];
    const expected =
      wanted === "wasm" ? "wasm" : wanted === "native" || existsSync(ADDON_FILE) ? "native" : "wasm";
    expect(cryptoBackend()).to.equal(expected);
  });
});

describe("protocol: native ristretto255 backend vs libsodium wasm", function () {
  this.timeout(60_000);
  let native: GroupBackend;

  before(async function () {
    await initCrypto();
    if (!existsSync(ADDON_FILE)) {
      console.log(
        `      (skipped: the native addon is not built; run \`node scripts/build-native.cjs\`, which needs a C compiler and libsodium-dev)`,
      );
      this.skip();
    }
    const load = nativeBackend();
    if (!load.ok) throw new Error(`the native addon is built but does not load: ${load.reason}`);
    native = load.backend;
  });

  const points = (n: number) => Array.from({ length: n }, () => wasmBackend.baseMul(randomScalar()));

  /** Canonical scalars, edge cases first, then random ones. */
  const scalars = (n: number) => [
    new Uint8Array(32),
    scalarFromBigint(1n),
    scalarFromBigint(2n),
    scalarFromBigint(GROUP_ORDER - 1n),
    scalarFromBigint(GROUP_ORDER - 2n),
    scalarFromBigint((1n << 252n) - 1n),
    ...Array.from({ length: n }, () => randomScalar()),
  ];

  it("base multiplication agrees on canonical scalars and on any 32 bytes", () => {
    for (const s of scalars(200))
      expect(hex(native.baseMul(s)), hex(s)).to.equal(hex(wasmBackend.baseMul(s)));
    // Raw bytes (the top bit is ignored by both, no reduction is assumed).
    for (let i = 0; i < 100; i++) {
      const raw = randomBytes(32);
      expect(hex(native.baseMul(raw)), hex(raw)).to.equal(hex(wasmBackend.baseMul(raw)));
    }
    expect(hex(native.baseMul(IDENTITY))).to.equal(hex(IDENTITY));
    // A multiple of the group order other than zero: libsodium refuses, the addon answers the identity.
    expect(hex(native.baseMul(littleEndian(GROUP_ORDER)))).to.equal(hex(IDENTITY));
  });

  it("variable-base multiplication agrees, with the identity for a zero scalar or the identity point", () => {
    const ps = points(40);
    const ss = scalars(40);
    for (let i = 0; i < ss.length; i++) {
      const p = ps[i % ps.length];
      expect(hex(native.scalarMul(ss[i], p)), `${hex(ss[i])} * ${hex(p)}`).to.equal(
        hex(wasmBackend.scalarMul(ss[i], p)),
      );
    }
    for (let i = 0; i < 40; i++) {
      const raw = randomBytes(32);
      expect(hex(native.scalarMul(raw, ps[i]))).to.equal(hex(wasmBackend.scalarMul(raw, ps[i])));
    }
    for (const s of ss.slice(0, 8)) expect(hex(native.scalarMul(s, IDENTITY))).to.equal(hex(IDENTITY));
    expect(hex(native.scalarMul(IDENTITY, ps[0]))).to.equal(hex(IDENTITY));
    expect(hex(native.scalarMul(littleEndian(GROUP_ORDER), ps[0]))).to.equal(hex(IDENTITY));
    // (q - 1) * P = -P, so P + (q - 1) * P = identity.
    const minusP = native.scalarMul(scalarFromBigint(GROUP_ORDER - 1n), ps[1]);
    expect(hex(native.add(ps[1], minusP))).to.equal(hex(IDENTITY));
  });

  it("variable-base multiplication refuses an invalid point in both backends", () => {
    const s = randomScalar();
    const invalid = [
      ...INVALID_ENCODINGS,
      ...points(8).map((p) => hex(withTopBit(p))),
      hex(withTopBit(IDENTITY)),
    ];
    for (const encoding of invalid) {
      const p = fromHex(encoding);
      expect(() => native.scalarMul(s, p), encoding).to.throw(RangeError, /not a valid ristretto255 point/);
      expect(() => wasmBackend.scalarMul(s, p), encoding).to.throw();
    }
  });

  it("addition and subtraction agree, the identity included, and refuse invalid points", () => {
    const ps = [IDENTITY, ...points(60)];
    for (let i = 0; i < ps.length; i++) {
      const p = ps[i];
      const q = ps[(i * 7 + 3) % ps.length];
      expect(hex(native.add(p, q))).to.equal(hex(wasmBackend.add(p, q)));
      expect(hex(native.sub(p, q))).to.equal(hex(wasmBackend.sub(p, q)));
      expect(hex(native.sub(p, p))).to.equal(hex(IDENTITY));
      expect(hex(native.add(p, IDENTITY))).to.equal(hex(p));
    }
    const invalid = [...INVALID_ENCODINGS.slice(0, 8), ...ps.slice(0, 8).map((p) => hex(withTopBit(p)))];
    for (const encoding of invalid) {
      const bad = fromHex(encoding);
      for (const op of ["add", "sub"] as const) {
        expect(() => native[op](ps[1], bad)).to.throw(RangeError);
        expect(() => native[op](bad, ps[1])).to.throw(RangeError);
        expect(outcome(() => wasmBackend[op](bad, ps[1]))).to.equal("throws");
      }
    }
  });

  it("validity agrees on random strings, non-canonical and negative encodings, valid points and the identity", () => {
    const cases: Uint8Array[] = [
      IDENTITY,
      withTopBit(IDENTITY),
      ...points(50),
      ...INVALID_ENCODINGS.map(fromHex),
    ];
    for (let i = 0; i < 2000; i++) cases.push(randomBytes(32));
    // Non-canonical field encodings: s + p for every s < 19 (s + p < 2^255), and the top bit set.
    for (let s = 0n; s < 19n; s++) cases.push(littleEndian(s + FIELD_PRIME));
    for (const p of points(50)) {
      cases.push(withTopBit(p));
      // Negative field element: p - s (odd) for an even canonical s.
      cases.push(littleEndian(FIELD_PRIME - fromLittleEndian(p)));
    }
    let valid = 0;
    for (const bytes of cases) {
      const verdict = native.isValidPoint(bytes);
      expect(verdict, hex(bytes)).to.equal(wasmBackend.isValidPoint(bytes));
      if (verdict) valid++;
    }
    expect(native.isValidPoint(IDENTITY)).to.equal(true);
    expect(valid).to.be.greaterThan(51); // the valid points, the identity, and some random strings
    expect(valid).to.be.lessThan(cases.length / 2);
  });

  it("reproduces the RFC 9496 vectors", () => {
    for (let i = 0; i < SMALL_MULTIPLES.length; i++) {
      expect(hex(native.baseMul(scalarFromBigint(BigInt(i)))), `${i}*G`).to.equal(SMALL_MULTIPLES[i]);
      expect(native.isValidPoint(fromHex(SMALL_MULTIPLES[i])), `${i}*G valid`).to.equal(true);
    }
    const g = fromHex(SMALL_MULTIPLES[1]);
    let acc: Uint8Array = IDENTITY;
    for (let i = 1; i < SMALL_MULTIPLES.length; i++) {
      acc = native.add(acc, g);
      expect(hex(acc), `sum ${i}`).to.equal(SMALL_MULTIPLES[i]);
      expect(hex(native.scalarMul(scalarFromBigint(BigInt(i)), g)), `${i}*G variable`).to.equal(
        SMALL_MULTIPLES[i],
      );
      expect(hex(native.sub(fromHex(SMALL_MULTIPLES[i]), g))).to.equal(SMALL_MULTIPLES[i - 1]);
    }
    for (const encoding of INVALID_ENCODINGS)
      expect(native.isValidPoint(fromHex(encoding)), encoding).to.equal(false);
  });

  it("throws a TypeError on arguments of the wrong length or type", () => {
    const load = nativeBackend();
    if (!load.ok) throw new Error(load.reason);
    const addon = require(ADDON_FILE) as Record<string, (...args: unknown[]) => unknown>;
    const p = points(1)[0];
    const s = randomScalar();
    const bad: unknown[] = [
      new Uint8Array(31),
      new Uint8Array(33),
      new Uint8Array(0),
      new Uint16Array(16),
      new Uint8ClampedArray(32),
      new ArrayBuffer(32),
      Array.from(p),
      hex(p),
      undefined,
      null,
    ];
    for (const x of bad) {
      expect(() => addon.scalarmult(x, p)).to.throw(TypeError);
      expect(() => addon.scalarmult(s, x)).to.throw(TypeError);
      expect(() => addon.scalarmult_base(x)).to.throw(TypeError);
      expect(() => addon.add(p, x)).to.throw(TypeError);
      expect(() => addon.sub(x, p)).to.throw(TypeError);
      expect(() => addon.is_valid_point(x)).to.throw(TypeError);
    }
    expect(() => addon.scalarmult(s)).to.throw(TypeError, /point must be a Uint8Array of 32 bytes/);
    expect(() => addon.add(p, new Uint8Array(31))).to.throw(TypeError, /q must be 32 bytes, got 31/);
    // A Buffer, and a 32-byte view into a larger buffer, are accepted; the result is a plain Uint8Array.
    const inner = new Uint8Array(64);
    inner.set(p, 16);
    const view = inner.subarray(16, 48);
    expect(addon.is_valid_point(Buffer.from(p))).to.equal(true);
    const sum = addon.add(view, Buffer.from(p)) as Uint8Array;
    expect(Object.getPrototypeOf(sum)).to.equal(Uint8Array.prototype);
    expect(hex(sum)).to.equal(hex(wasmBackend.add(p, p)));
  });

  it("loads in several worker threads at once and computes there", async () => {
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      const addon = require(workerData.file);
      const one = new Uint8Array(32); one[0] = workerData.k;
      parentPort.postMessage(Buffer.from(addon.scalarmult_base(one)).toString("hex"));`;
    const results = await Promise.all(
      [1, 2, 3, 4, 5].map(
        (k) =>
          new Promise<string>((resolve, reject) => {
            const worker = new Worker(source, { eval: true, workerData: { file: ADDON_FILE, k } });
            worker.once("message", (m: string) => {
              resolve(m);
              void worker.terminate();
            });
            worker.once("error", reject);
          }),
      ),
    );
    expect(results).to.deep.equal(SMALL_MULTIPLES.slice(1, 6));
  });

  it("the verifier pool's workers run the main thread's backend", async () => {
    const { context } = setupElection(referenceManifest());
    const nullifier = nullifierOf(9);
    const { bytes } = encryptBallot(
      context,
      0,
      { "party-list": ["party-list-option-2"] },
      nullifier,
      dummyCredential(),
    );
    const pool = await VerifierPool.create(context, { threads: 2, batchSize: 1 });
    try {
      expect(pool.backend).to.equal(cryptoBackend());
      const outcomes = await pool.verifyMany([
        { bytes, nullifier },
        { bytes, nullifier },
        { bytes, nullifier: nullifierOf(10) },
      ]);
      expect(outcomes.map((o) => o.ok)).to.deep.equal([true, true, false]);
    } finally {
      await pool.close();
    }
  });
});
