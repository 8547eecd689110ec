import sodium from "libsodium-wrappers-sumo";

/**
 * Which code runs the ristretto255 group operations (s * P, s * G, P + Q,
 * P - Q, the validity of an encoding, the commitments of the ballot proofs):
 * the native crypto core (server/protocol/primitives/native-rs, Rust on
 * curve25519-dalek and k256, built by scripts/build-native.cjs on `npm ci`)
 * when it loads in Node, libsodium's wasm build otherwise. Both compute the
 * same bytes (test/protocol/backend.test.ts cross-checks them and
 * @noble/curves); the native one keeps points decoded within a call, uses
 * multi-scalar multiplication with precomputed tables for G and the election
 * key, and also recovers EIP-712 signers (secp256k1) and runs the voter's
 * blind RSA (credential.ts). Scalar arithmetic and the protocol hashes use the
 * wasm build.
 *
 * BALLOT_LEDGER_CRYPTO_BACKEND=wasm|native forces one; `native` when the addon
 * cannot be loaded makes initCrypto() fail with the reason.
 *
 * The addon is loaded through process.getBuiltinModule("module").createRequire,
 * which a bundler cannot follow: a browser bundle of the protocol contains no
 * reference to it and always runs wasm.
 */
export type CryptoBackendName = "native" | "wasm";

/** The operations a backend provides, over 32-byte encodings (results are fresh Uint8Arrays). */
export interface GroupBackend {
  readonly name: CryptoBackendName;
  /** s * P; the identity when s = 0 mod q or P is the identity; throws on an invalid P. */
  scalarMul(scalar: Uint8Array, point: Uint8Array): Uint8Array;
  /** s * G; the identity when s = 0 mod q. */
  baseMul(scalar: Uint8Array): Uint8Array;
  add(p: Uint8Array, q: Uint8Array): Uint8Array;
  sub(p: Uint8Array, q: Uint8Array): Uint8Array;
  /** Canonical ristretto255 encoding (the identity included). */
  isValidPoint(bytes: Uint8Array): boolean;
  /**
   * One disjunctive proof over the ciphertext (a, b) under `key` and the range lo..lo+n-1
   * (protocol.md section 4.2), `proof` = c_0..c_{n-1} || z_0..z_{n-1} (canonical scalars):
   * sum(c_j) || a_0 || b_0 || ... || a_{n-1} || b_{n-1} with a_j = z_j*G - c_j*A and
   * b_j = z_j*K - c_j*(B - (lo + j)*G), 32 + 64n bytes. Throws on an invalid point.
   */
  rangeProofCommitments(
    key: Uint8Array,
    a: Uint8Array,
    b: Uint8Array,
    lo: number,
    proof: Uint8Array,
  ): Uint8Array;
  /**
   * Every proof of a ballot in one call (protocol.md section 5.3): `body` is the ballot
   * encoding after the credential (per contest, per option A || B || 0/1 proof, then the range
   * proof), `shape` (options, lo, hi) per contest. Per contest: per option the 160 bytes of
   * rangeProofCommitments over [0, 1], then sum(A) || sum(B), then the range proof's
   * rangeProofCommitments over the sum.
   */
  ballotCommitments(key: Uint8Array, body: Uint8Array, shape: Uint32Array): Uint8Array;
  /** `slots` running sums of points, each the identity at first (the tally's aggregate, protocol.md section 6). */
  pointSums(slots: number): PointSums;
}

/**
 * Running sums of ristretto255 points: the native core keeps them decoded (one
 * decompression per point added, one encoding per sum at the end), wasm adds
 * encodings with libsodium. Both give the same bytes (test/protocol/backend.test.ts).
 */
export interface PointSums {
  /** sums[first + i] += the i-th 32-byte encoding of `points`; throws (changing nothing) on an invalid one. */
  add(first: number, points: Uint8Array): void;
  /** sums[first + i] -= the i-th 32-byte encoding of `points`; throws (changing nothing) on an invalid one. */
  sub(first: number, points: Uint8Array): void;
  /** Every sum's canonical encoding (the identity as 32 zero bytes), 32 bytes a slot. */
  encode(): Uint8Array;
}

/** The native core's exports (native-rs/src/lib.rs). */
export interface NativeAddon {
  scalarMul(scalar: Uint8Array, point: Uint8Array): Uint8Array;
  baseMul(scalar: Uint8Array): Uint8Array;
  add(p: Uint8Array, q: Uint8Array): Uint8Array;
  sub(p: Uint8Array, q: Uint8Array): Uint8Array;
  isValidPoint(bytes: Uint8Array): boolean;
  rangeProofCommitments(
    key: Uint8Array,
    a: Uint8Array,
    b: Uint8Array,
    lo: number,
    proof: Uint8Array,
  ): Uint8Array;
  ballotCommitments(key: Uint8Array, body: Uint8Array, shape: Uint32Array): Uint8Array;
  keccak256(data: Uint8Array): Uint8Array;
  ecrecover(digest: Uint8Array, signature: Uint8Array): Uint8Array | null;
  signDigest(privateKey: Uint8Array, digest: Uint8Array): Uint8Array;
  /** RFC 9474 Blind (RSABSSA-SHA384-PSS, e = 65537) of a prepared message: blinded message || inverse. */
  blindRsaBlind(modulus: Uint8Array, preparedMessage: Uint8Array): Uint8Array;
  /** RFC 9474 Finalize: the signature over the prepared message; throws when it does not verify. */
  blindRsaFinalize(
    modulus: Uint8Array,
    preparedMessage: Uint8Array,
    blindSignature: Uint8Array,
    inverse: Uint8Array,
  ): Uint8Array;
  PointSums: new (slots: number) => PointSums;
}

export const BACKEND_ENV = "BALLOT_LEDGER_CRYPTO_BACKEND";
/** Relative to this file; scripts/build-native.cjs writes it there. */
const ADDON_PATH = "./native-rs/target/ballot_ledger_native.node";
const ADDON_FUNCTIONS = [
  "scalarMul",
  "baseMul",
  "add",
  "sub",
  "isValidPoint",
  "rangeProofCommitments",
  "ballotCommitments",
  "keccak256",
  "ecrecover",
  "signDigest",
  "blindRsaBlind",
  "blindRsaFinalize",
  "PointSums",
] as const;

const IDENTITY = new Uint8Array(32);
function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i];
  return acc === 0;
}

const BYTES = 32;

function wasmScalarMul(scalar: Uint8Array, point: Uint8Array): Uint8Array {
  if (isZero(scalar) || isZero(point)) return new Uint8Array(IDENTITY);
  return sodium.crypto_scalarmult_ristretto255(scalar, point);
}

function wasmBaseMul(scalar: Uint8Array): Uint8Array {
  if (isZero(scalar)) return new Uint8Array(IDENTITY);
  return sodium.crypto_scalarmult_ristretto255_base(scalar);
}

function littleEndian32(value: number): Uint8Array {
  const out = new Uint8Array(BYTES);
  new DataView(out.buffer).setUint32(0, value, true);
  return out;
}

/** rangeProofCommitments written into `out` at `offset`, with libsodium's operations one by one. */
function wasmCommitmentsInto(
  out: Uint8Array,
  offset: number,
  key: Uint8Array,
  a: Uint8Array,
  b: Uint8Array,
  lo: number,
  proof: Uint8Array,
): number {
  const n = proof.length / (2 * BYTES);
  if (!Number.isInteger(n) || n < 1)
    throw new RangeError(`proof must be 64 bytes per branch, got ${proof.length}`);
  const base = wasmBaseMul(littleEndian32(1));
  let shifted = lo === 0 ? b : sodium.crypto_core_ristretto255_sub(b, wasmBaseMul(littleEndian32(lo)));
  let sum: Uint8Array = new Uint8Array(BYTES);
  let at = offset + BYTES;
  for (let j = 0; j < n; j++) {
    const c = proof.subarray(BYTES * j, BYTES * (j + 1));
    const z = proof.subarray(BYTES * (n + j), BYTES * (n + j + 1));
    sum = sodium.crypto_core_ristretto255_scalar_add(sum, c);
    out.set(sodium.crypto_core_ristretto255_sub(wasmBaseMul(z), wasmScalarMul(c, a)), at);
    out.set(
      sodium.crypto_core_ristretto255_sub(wasmScalarMul(z, key), wasmScalarMul(c, shifted)),
      at + BYTES,
    );
    at += 2 * BYTES;
    if (j + 1 < n) shifted = sodium.crypto_core_ristretto255_sub(shifted, base);
  }
  out.set(sum, offset);
  return at;
}

/** The size of ballotCommitments' output for `shape`, and of the body it reads. */
function ballotShapeSizes(shape: Uint32Array): { body: number; output: number } {
  if (shape.length % 3 !== 0) throw new RangeError("shape must hold 3 numbers per contest");
  let body = 0;
  let output = 0;
  for (let i = 0; i < shape.length; i += 3) {
    const [options, lo, hi] = [shape[i], shape[i + 1], shape[i + 2]];
    if (hi < lo || hi - lo >= 65 || options === 0 || options > 1024)
      throw new RangeError(`bad contest shape (${options}, ${lo}, ${hi})`);
    const branches = hi - lo + 1;
    body += options * 6 * BYTES + 2 * BYTES * branches;
    output += options * 5 * BYTES + 3 * BYTES + 2 * BYTES * branches;
  }
  return { body, output };
}

/** PointSums over encodings, one libsodium addition (or subtraction) per point. */
class WasmPointSums implements PointSums {
  private readonly sums: Uint8Array[];

  constructor(slots: number) {
    if (!Number.isSafeInteger(slots) || slots < 0) throw new RangeError(`bad slot count ${slots}`);
    this.sums = Array.from({ length: slots }, () => new Uint8Array(IDENTITY));
  }

  private apply(first: number, points: Uint8Array, op: (p: Uint8Array, q: Uint8Array) => Uint8Array): void {
    if (points.length % BYTES !== 0)
      throw new RangeError(`points must be 32 bytes each, got ${points.length} bytes`);
    const count = points.length / BYTES;
    if (!Number.isSafeInteger(first) || first < 0 || first + count > this.sums.length)
      throw new RangeError(`${count} points from slot ${first} pass the last of ${this.sums.length} slots`);
    // Computed apart, then stored: an invalid point leaves every sum as it was.
    const next = Array.from({ length: count }, (_, i) =>
      op(this.sums[first + i], points.subarray(BYTES * i, BYTES * (i + 1))),
    );
    next.forEach((sum, i) => (this.sums[first + i] = sum));
  }

  add(first: number, points: Uint8Array): void {
    this.apply(first, points, (p, q) => sodium.crypto_core_ristretto255_add(p, q));
  }

  sub(first: number, points: Uint8Array): void {
    this.apply(first, points, (p, q) => sodium.crypto_core_ristretto255_sub(p, q));
  }

  encode(): Uint8Array {
    const out = new Uint8Array(BYTES * this.sums.length);
    this.sums.forEach((sum, i) => out.set(sum, BYTES * i));
    return out;
  }
}

/** libsodium-wrappers-sumo; it throws where the C function returns -1. */
export const wasmBackend: GroupBackend = {
  name: "wasm",
  scalarMul: wasmScalarMul,
  baseMul: wasmBaseMul,
  add: (p, q) => sodium.crypto_core_ristretto255_add(p, q),
  sub: (p, q) => sodium.crypto_core_ristretto255_sub(p, q),
  isValidPoint: (bytes) => sodium.crypto_core_ristretto255_is_valid_point(bytes),
  rangeProofCommitments(key, a, b, lo, proof) {
    const out = new Uint8Array(BYTES + proof.length);
    wasmCommitmentsInto(out, 0, key, a, b, lo, proof);
    return out;
  },
  ballotCommitments(key, body, shape) {
    const sizes = ballotShapeSizes(shape);
    if (body.length !== sizes.body)
      throw new RangeError(`body must be ${sizes.body} bytes, got ${body.length}`);
    const out = new Uint8Array(sizes.output);
    let read = 0;
    let write = 0;
    for (let i = 0; i < shape.length; i += 3) {
      const [options, lo, hi] = [shape[i], shape[i + 1], shape[i + 2]];
      let sumA: Uint8Array = new Uint8Array(IDENTITY);
      let sumB: Uint8Array = new Uint8Array(IDENTITY);
      for (let k = 0; k < options; k++) {
        const a = body.subarray(read, read + BYTES);
        const b = body.subarray(read + BYTES, read + 2 * BYTES);
        write = wasmCommitmentsInto(
          out,
          write,
          key,
          a,
          b,
          0,
          body.subarray(read + 2 * BYTES, read + 6 * BYTES),
        );
        sumA = sodium.crypto_core_ristretto255_add(sumA, a);
        sumB = sodium.crypto_core_ristretto255_add(sumB, b);
        read += 6 * BYTES;
      }
      out.set(sumA, write);
      out.set(sumB, write + BYTES);
      write += 2 * BYTES;
      const length = 2 * BYTES * (hi - lo + 1);
      write = wasmCommitmentsInto(out, write, key, sumA, sumB, lo, body.subarray(read, read + length));
      read += length;
    }
    return out;
  },
  pointSums: (slots) => new WasmPointSums(slots),
};

export function nativeBackendOf(addon: NativeAddon): GroupBackend {
  return {
    name: "native",
    scalarMul: (scalar, point) => addon.scalarMul(scalar, point),
    baseMul: (scalar) => addon.baseMul(scalar),
    add: (p, q) => addon.add(p, q),
    sub: (p, q) => addon.sub(p, q),
    isValidPoint: (bytes) => addon.isValidPoint(bytes),
    rangeProofCommitments: (key, a, b, lo, proof) => addon.rangeProofCommitments(key, a, b, lo, proof),
    ballotCommitments: (key, body, shape) => addon.ballotCommitments(key, body, shape),
    pointSums: (slots) => new addon.PointSums(slots),
  };
}

type NativeLoad = { ok: true; backend: GroupBackend; addon: NativeAddon } | { ok: false; reason: string };

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message.split("\n")[0] : String(error);
}

/** Loads the addon in Node (main thread or worker); never throws. */
function loadNative(): NativeLoad {
  if (typeof process === "undefined" || !process.versions?.node) return { ok: false, reason: "not in Node" };
  if (typeof process.getBuiltinModule !== "function")
    return { ok: false, reason: `Node ${process.versions.node} has no process.getBuiltinModule` };
  if (typeof __filename !== "string") return { ok: false, reason: "not loaded as a CommonJS module" };
  try {
    const { createRequire } = process.getBuiltinModule("node:module");
    const addon = createRequire(__filename)(ADDON_PATH) as Partial<NativeAddon>;
    const missing = ADDON_FUNCTIONS.filter((fn) => typeof addon[fn] !== "function");
    if (missing.length > 0) return { ok: false, reason: `the addon lacks ${missing.join(", ")}` };
    return { ok: true, backend: nativeBackendOf(addon as NativeAddon), addon: addon as NativeAddon };
  } catch (error) {
    return { ok: false, reason: errorMessage(error) };
  }
}

let nativeLoad: NativeLoad | null = null;
/** The native backend, or why it is unavailable (loaded once per thread). */
export function nativeBackend(): NativeLoad {
  if (nativeLoad === null) nativeLoad = loadNative();
  return nativeLoad;
}

/** The backend BALLOT_LEDGER_CRYPTO_BACKEND asks for, else native when it loads, else wasm. */
function chooseBackend(): GroupBackend {
  const raw = typeof process !== "undefined" ? process.env?.[BACKEND_ENV] : undefined;
  const wanted = raw === undefined || raw.trim() === "" ? "auto" : raw.trim().toLowerCase();
  if (wanted === "wasm") return wasmBackend;
  if (wanted !== "native" && wanted !== "auto")
    throw new Error(`${BACKEND_ENV} must be "native", "wasm" or unset, not ${JSON.stringify(raw)}`);
  const native = nativeBackend();
  if (native.ok) return native.backend;
  if (wanted === "native")
    throw new Error(
      `${BACKEND_ENV}=native but the native crypto core is unavailable (${native.reason}); ` +
        "build it with `node scripts/build-native.cjs` (needs the Rust toolchain: cargo)",
    );
  return wasmBackend;
}

let chosen: GroupBackend | null = null;
let active: GroupBackend | null = null;

function chosenBackend(): GroupBackend {
  if (chosen === null) chosen = chooseBackend();
  return chosen;
}

/**
 * Makes the chosen backend the one group operations use; initCrypto() calls it
 * once libsodium is ready, so a forced but unavailable backend fails there.
 */
export function activateBackend(): GroupBackend {
  active = chosenBackend();
  return active;
}

/** The backend that runs (or, before initCrypto(), will run) the group operations. */
export function cryptoBackend(): CryptoBackendName {
  return chosenBackend().name;
}

/** The active backend; group operations before initCrypto() are an error. */
export function groupBackend(): GroupBackend {
  if (active === null) throw new Error("crypto not initialised: await initCrypto() first");
  return active;
}

/**
 * The native core's keccak256, secp256k1 signer recovery and signing when the native
 * backend is active (after initCrypto()), else null (the callers then use viem's JavaScript code,
 * which gives the same answers: test/protocol/backend.test.ts).
 */
export function nativeSecp256k1(): Pick<NativeAddon, "keccak256" | "ecrecover" | "signDigest"> | null {
  return activeNativeAddon();
}

/**
 * The native core's blind RSA for the voter's side of a credential (RFC 9474 Blind and
 * Finalize) when the native backend is active, else null (credential.ts then uses
 * @cloudflare/blindrsa-ts, as in a browser; test/protocol/credential.test.ts cross-checks them).
 */
export function nativeBlindRsa(): Pick<NativeAddon, "blindRsaBlind" | "blindRsaFinalize"> | null {
  return activeNativeAddon();
}

function activeNativeAddon(): NativeAddon | null {
  if (active === null || active.name !== "native") return null;
  const load = nativeBackend();
  return load.ok ? load.addon : null;
}
