/**
 * The native crypto core (Rust: curve25519-dalek, k256) against libsodium's
 * wasm build and viem: both must give the same bytes (and the same refusals)
 * on random and adversarial inputs and on the RFC 9496 vectors, in the main
 * thread and in worker threads; the proof commitments of both backends agree
 * on honest and hostile proofs; ECDSA recovery agrees with viem (@noble/curves)
 * on honest and malformed signatures. Skipped, with a message, only when the
 * core has not been built (no cargo); a core that is built but does not load
 * is a failure.
 */
import { expect } from "chai";
import { existsSync } from "node:fs";
import { Worker } from "node:worker_threads";
import { encryptBallot } from "../../server/protocol/ballot";
import {
  encodeAbiParameters,
  hashTypedData,
  keccak256,
  recoverAddress,
  toHex as toHexString,
  type Hex,
} from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import {
  ballotDigest,
  ballotDomain,
  ballotTypes,
  nullifierOf as eip712NullifierOf,
} from "../../server/protocol/eip712";
import {
  BACKEND_ENV,
  cryptoBackend,
  nativeBackend,
  wasmBackend,
  type GroupBackend,
  type NativeAddon,
} from "../../server/protocol/primitives/backend";
import { GROUP_ORDER, randomScalar, scalarFromBigint } from "../../server/protocol/primitives/group";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { signingAccount } from "../../server/chain/clients";
import { recoverReceiptSigner, signReceipt } from "../../server/protocol/receipt";
import { VerifierPool } from "../../server/verifier/pool";
import { dummyCredential, largerManifest, nullifierOf, referenceManifest, setupElection } from "./fixtures";
import { ADDON_FILE, nativeCoreOrSkip } from "./native-core";
import { INVALID_ENCODINGS, SMALL_MULTIPLES } from "./rfc9496";

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

describe("protocol: native crypto core vs libsodium wasm and viem", function () {
  this.timeout(60_000);
  let native: GroupBackend;

  before(async function () {
    await initCrypto();
    native = nativeCoreOrSkip(this).backend;
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
      expect(() => native.scalarMul(s, p), encoding).to.throw(/not a valid ristretto255 point/);
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
        expect(() => native[op](ps[1], bad)).to.throw(/not a valid ristretto255 point/);
        expect(() => native[op](bad, ps[1])).to.throw(/not a valid ristretto255 point/);
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

  it("throws an InvalidArg error on arguments of the wrong length or type", () => {
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
    const invalidArg = (fn: () => unknown) => {
      try {
        fn();
      } catch (error) {
        return (error as { code?: string }).code;
      }
      return "accepted";
    };
    for (const x of bad) {
      expect(invalidArg(() => addon.scalarMul(x, p))).to.equal("InvalidArg");
      expect(invalidArg(() => addon.scalarMul(s, x))).to.equal("InvalidArg");
      expect(invalidArg(() => addon.baseMul(x))).to.equal("InvalidArg");
      expect(invalidArg(() => addon.add(p, x))).to.equal("InvalidArg");
      expect(invalidArg(() => addon.sub(x, p))).to.equal("InvalidArg");
      expect(invalidArg(() => addon.isValidPoint(x))).to.equal("InvalidArg");
      expect(invalidArg(() => addon.ecrecover(x, new Uint8Array(65)))).to.equal("InvalidArg");
    }
    expect(() => addon.scalarMul(s)).to.throw();
    expect(() => addon.add(p, new Uint8Array(31))).to.throw(/q must be 32 bytes, got 31/);
    expect(() => addon.ecrecover(new Uint8Array(32), new Uint8Array(64))).to.throw(
      /signature must be 65 bytes/,
    );
    expect(() => addon.rangeProofCommitments(p, p, p, 0, new Uint8Array(96))).to.throw(/64 bytes per branch/);
    expect(() => addon.ballotCommitments(p, new Uint8Array(10), Uint32Array.of(1, 0, 1))).to.throw(
      /body must be/,
    );
    expect(() => addon.ballotCommitments(p, new Uint8Array(0), Uint32Array.of(1, 2, 1))).to.throw(
      /bad contest shape/,
    );
    // A Buffer, and a 32-byte view into a larger buffer, are accepted; the result is a plain Uint8Array.
    const inner = new Uint8Array(64);
    inner.set(p, 16);
    const view = inner.subarray(16, 48);
    expect(addon.isValidPoint(Buffer.from(p))).to.equal(true);
    const sum = addon.add(view, Buffer.from(p)) as Uint8Array;
    expect(Object.getPrototypeOf(sum)).to.equal(Uint8Array.prototype);
    expect(hex(sum)).to.equal(hex(wasmBackend.add(p, p)));
  });

  it("loads in several worker threads at once and computes there", async () => {
    const source = `
      const { parentPort, workerData } = require("node:worker_threads");
      const addon = require(workerData.file);
      const one = new Uint8Array(32); one[0] = workerData.k;
      parentPort.postMessage(Buffer.from(addon.baseMul(one)).toString("hex"));`;
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

describe("protocol: native proof commitments, keccak and ECDSA recovery vs wasm and viem", function () {
  this.timeout(120_000);
  let addon: NativeAddon;

  before(async function () {
    await initCrypto();
    addon = nativeCoreOrSkip(this).addon;
  });

  const point = () => wasmBackend.baseMul(randomScalar());
  const zero = () => new Uint8Array(32);
  /** A proof of n branches: random, or with zero scalars, or the honest proof of value `lo`. */
  function proofBytes(n: number, kind: "random" | "zeros" | "mixed"): Uint8Array {
    const out = new Uint8Array(64 * n);
    for (let k = 0; k < 2 * n; k++)
      out.set(kind === "zeros" || (kind === "mixed" && k % 3 === 0) ? zero() : randomScalar(), 32 * k);
    return out;
  }

  it("one proof's commitments: the same bytes on both backends, honest, random and degenerate", () => {
    const { context } = setupElection(referenceManifest());
    const key = context.jointKey;
    for (const lo of [0, 1, 3])
      for (const n of [1, 2, 4])
        for (const kind of ["random", "zeros", "mixed"] as const) {
          const cases: [Uint8Array, Uint8Array, Uint8Array][] = [
            [key, point(), point()],
            [key, IDENTITY, point()],
            [key, point(), IDENTITY],
            [IDENTITY, point(), point()],
          ];
          for (const [k, a, b] of cases) {
            const proof = proofBytes(n, kind);
            expect(hex(addon.rangeProofCommitments(k, a, b, lo, proof)), `${lo} ${n} ${kind}`).to.equal(
              hex(wasmBackend.rangeProofCommitments(k, a, b, lo, proof)),
            );
          }
        }
    // Invalid points are refused by both.
    for (const encoding of INVALID_ENCODINGS.slice(0, 6)) {
      const bad = fromHex(encoding);
      const proof = proofBytes(2, "random");
      expect(() => addon.rangeProofCommitments(key, bad, point(), 0, proof)).to.throw(/not a valid/);
      expect(outcome(() => wasmBackend.rangeProofCommitments(key, bad, point(), 0, proof))).to.equal(
        "throws",
      );
    }
  });

  it("a ballot's commitments: the same bytes on both backends, for honest and tampered ballots", () => {
    for (const manifest of [referenceManifest(), largerManifest()]) {
      const { context } = setupElection(manifest);
      const styleContests = manifest.ballotStyles[0].contests.map((id) =>
        manifest.contests.find((c) => c.id === id)!,
      );
      const shape = Uint32Array.from(
        styleContests.flatMap((c) => [c.options.length, c.minSelections, c.maxSelections]),
      );
      const choices = Object.fromEntries(
        styleContests.map((c) => [c.id, c.options.slice(0, Math.max(1, c.minSelections)).map((o) => o.id)]),
      );
      for (let round = 0; round < 4; round++) {
        const { bytes } = encryptBallot(context, 0, choices, nullifierOf(round), dummyCredential());
        const bodyLength = styleContests.reduce(
          (sum, c) => sum + c.options.length * 192 + 64 * (c.maxSelections - c.minSelections + 1),
          0,
        );
        const body = bytes.slice(bytes.length - bodyLength);
        if (round === 1) body.set(randomScalar(), 64); // a challenge of the first 0/1 proof
        if (round === 2) body.set(new Uint8Array(32), 160); // a zero response
        if (round === 3) {
          // Option 2 cancels the others of the first contest: the summed ciphertext is the identity.
          for (const half of [0, 32]) {
            let others: Uint8Array = IDENTITY;
            for (let k = 0; k < styleContests[0].options.length; k++)
              if (k !== 1)
                others = wasmBackend.add(others, body.subarray(192 * k + half, 192 * k + half + 32));
            body.set(wasmBackend.sub(IDENTITY, others), 192 + half);
          }
        }
        const native = addon.ballotCommitments(context.jointKey, body, shape);
        expect(hex(native), `round ${round}`).to.equal(
          hex(wasmBackend.ballotCommitments(context.jointKey, body, shape)),
        );
        if (round === 3) {
          const at = styleContests[0].options.length * 160;
          expect(hex(native.subarray(at, at + 64))).to.equal("00".repeat(64));
        }
      }
    }
  });

  it("keccak256, the EIP-712 digest and the nullifier agree with viem", () => {
    for (const length of [0, 1, 31, 32, 135, 136, 137, 1328, 5000]) {
      const data = randomBytes(length);
      expect(hex(addon.keccak256(data))).to.equal(keccak256(data).slice(2));
    }
    const location = { chainId: 31337n, election: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };
    for (const sequence of [0n, 1n, 255n, (1n << 64n) - 1n]) {
      const ballot = randomBytes(100 + Number(sequence % 1000n));
      const viemDigest = hashTypedData({
        domain: ballotDomain(location.chainId, location.election),
        types: ballotTypes,
        primaryType: "Ballot",
        message: { ballot: toHexString(ballot), sequence },
      });
      expect(ballotDigest(location, ballot, sequence)).to.equal(viemDigest);
    }
    const voter = privateKeyToAccount(generatePrivateKey()).address;
    expect(eip712NullifierOf(location.election, voter)).to.equal(
      keccak256(encodeAbiParameters([{ type: "address" }, { type: "address" }], [location.election, voter])),
    );
  });

  it("signs a digest with the same bytes as viem's LocalAccount (RFC 6979, low s), receipts included", async () => {
    for (let i = 0; i < 24; i++) {
      const privateKey = generatePrivateKey();
      const digest = keccak256(randomBytes(48));
      const expected = await privateKeyToAccount(privateKey).sign({ hash: digest });
      expect(`0x${hex(addon.signDigest(fromHex(privateKey.slice(2)), fromHex(digest.slice(2))))}`).to.equal(
        expected,
      );
    }
    const privateKey = generatePrivateKey();
    const relay = signingAccount(privateKey);
    expect(relay.address).to.equal(privateKeyToAccount(privateKey).address);
    const location = { chainId: 31337n, election: "0x5FbDB2315678afecb367f032d93F642f64180aa3" as const };
    const receipt = {
      election: location.election,
      trackingCode: "ABCD-EFGH",
      ballotHash: keccak256(randomBytes(10)),
      sequence: 1n,
      acceptedAt: 1_700_000_000n,
    };
    const signature = await signReceipt(relay, location, receipt);
    expect(signature).to.equal(await signReceipt(privateKeyToAccount(privateKey), location, receipt));
    expect(await recoverReceiptSigner(location, receipt, signature)).to.equal(relay.address);
    expect(() => addon.signDigest(new Uint8Array(32), new Uint8Array(32))).to.throw(/private key/);

    // The relay's transactions (a castBallots batch of ~100 KB, legacy and EIP-1559): viem's bytes exactly.
    const reference = privateKeyToAccount(privateKey);
    const batch = {
      to: location.election,
      data: toHexString(new Uint8Array(100_000).map((_, i) => (i * 131) & 0xff)),
      gas: 6_000_000n,
      nonce: 7,
      chainId: 31337,
    } as const;
    for (const transaction of [
      { ...batch, type: "eip1559", maxFeePerGas: 2_000_000_000n, maxPriorityFeePerGas: 1n },
      { ...batch, type: "legacy", gasPrice: 1n },
    ] as const)
      expect(await relay.signTransaction(transaction)).to.equal(await reference.signTransaction(transaction));
  });

  it("recovers the same signer as viem (@noble/curves), and refuses the same malformed signatures", async () => {
    const ORDER = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
    const HALF = ORDER >> 1n;
    const word = (value: bigint) => value.toString(16).padStart(64, "0");
    /** recoverBallotSigner's JavaScript path: the low-s and v rules, then viem. */
    async function viemVerdict(digest: Hex, signature: Hex): Promise<string> {
      const s = BigInt(`0x${signature.slice(66, 130)}`);
      const v = parseInt(signature.slice(130, 132), 16);
      if (s > HALF || (v !== 27 && v !== 28)) return "null";
      try {
        return (await recoverAddress({ hash: digest, signature })).toLowerCase();
      } catch {
        return "null";
      }
    }
    const nativeVerdict = (digest: Hex, signature: Hex) => {
      const signer = addon.ecrecover(fromHex(digest.slice(2)), fromHex(signature.slice(2)));
      return signer === null ? "null" : `0x${hex(signer)}`;
    };
    const cases: [Hex, Hex, string][] = [];
    for (let i = 0; i < 12; i++) {
      const account = privateKeyToAccount(generatePrivateKey());
      const digest = keccak256(randomBytes(40));
      const signature = await account.sign({ hash: digest });
      const r = BigInt(signature.slice(0, 66));
      const s = BigInt(`0x${signature.slice(66, 130)}`);
      const v = parseInt(signature.slice(130, 132), 16);
      const vHex = (x: number) => x.toString(16).padStart(2, "0");
      const flipped = v === 27 ? 28 : 27;
      cases.push([digest, signature, "honest"]);
      cases.push([digest, `0x${word(r)}${word(ORDER - s)}${vHex(flipped)}`, "high s"]);
      cases.push([digest, `0x${word(r)}${word(s)}${vHex(flipped)}`, "other v"]);
      for (const badV of [0, 1, 26, 29, 255])
        cases.push([digest, `0x${word(r)}${word(s)}${vHex(badV)}`, `v ${badV}`]);
      cases.push([digest, `0x${word(0n)}${word(s)}${vHex(v)}`, "r = 0"]);
      cases.push([digest, `0x${word(r)}${word(0n)}${vHex(v)}`, "s = 0"]);
      cases.push([digest, `0x${word(ORDER)}${word(s)}${vHex(v)}`, "r = n"]);
      cases.push([digest, `0x${word(ORDER + 5n)}${word(s)}${vHex(v)}`, "r > n"]);
      cases.push([digest, `0x${word((1n << 256n) - 1n)}${word(s)}${vHex(v)}`, "r = 2^256 - 1"]);
      cases.push([digest, `0x${word(r)}${word(HALF)}${vHex(v)}`, "s = n / 2"]);
      cases.push([digest, `0x${word(r)}${word(HALF + 1n)}${vHex(v)}`, "s = n / 2 + 1"]);
      cases.push([digest, `0x${hex(randomBytes(64))}${vHex(27 + (i % 2))}`, "random r, s"]);
      cases.push([keccak256(randomBytes(8)), signature, "another digest"]);
    }
    let honest = 0;
    for (const [digest, signature, label] of cases) {
      const expected = await viemVerdict(digest, signature);
      expect(nativeVerdict(digest, signature), `${label}: ${signature}`).to.equal(expected);
      if (label === "honest") {
        expect(expected).to.not.equal("null");
        honest++;
      }
    }
    expect(honest).to.equal(12);
  });
});
