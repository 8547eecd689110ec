import sodium from "libsodium-wrappers-sumo";

/**
 * Which code runs the ristretto255 group operations (s * P, s * G, P + Q,
 * P - Q, the validity of an encoding): the native addon over the system
 * libsodium (server/protocol/primitives/native, built by
 * scripts/build-native.cjs on `npm ci`) when it loads in Node, libsodium's wasm
 * build otherwise. Both run the same libsodium C code, so they give the same
 * bytes; the native one is two to three times faster. Scalar arithmetic and
 * hashing always use the wasm build.
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
}

/** The addon's exports (native/ristretto.c). */
export interface RistrettoAddon {
  scalarmult(scalar: Uint8Array, point: Uint8Array): Uint8Array;
  scalarmult_base(scalar: Uint8Array): Uint8Array;
  add(p: Uint8Array, q: Uint8Array): Uint8Array;
  sub(p: Uint8Array, q: Uint8Array): Uint8Array;
  is_valid_point(bytes: Uint8Array): boolean;
}

export const BACKEND_ENV = "BALLOT_LEDGER_CRYPTO_BACKEND";
/** Relative to this file; scripts/build-native.cjs writes it there. */
const ADDON_PATH = "./native/build/Release/ristretto.node";
const ADDON_FUNCTIONS = ["scalarmult", "scalarmult_base", "add", "sub", "is_valid_point"] as const;

const IDENTITY = new Uint8Array(32);
function isZero(bytes: Uint8Array): boolean {
  let acc = 0;
  for (let i = 0; i < bytes.length; i++) acc |= bytes[i];
  return acc === 0;
}

/** libsodium-wrappers-sumo; it throws where the C function returns -1. */
export const wasmBackend: GroupBackend = {
  name: "wasm",
  scalarMul(scalar, point) {
    if (isZero(scalar) || isZero(point)) return new Uint8Array(IDENTITY);
    return sodium.crypto_scalarmult_ristretto255(scalar, point);
  },
  baseMul(scalar) {
    if (isZero(scalar)) return new Uint8Array(IDENTITY);
    return sodium.crypto_scalarmult_ristretto255_base(scalar);
  },
  add: (p, q) => sodium.crypto_core_ristretto255_add(p, q),
  sub: (p, q) => sodium.crypto_core_ristretto255_sub(p, q),
  isValidPoint: (bytes) => sodium.crypto_core_ristretto255_is_valid_point(bytes),
};

export function nativeBackendOf(addon: RistrettoAddon): GroupBackend {
  return {
    name: "native",
    scalarMul: (scalar, point) => addon.scalarmult(scalar, point),
    baseMul: (scalar) => addon.scalarmult_base(scalar),
    add: (p, q) => addon.add(p, q),
    sub: (p, q) => addon.sub(p, q),
    isValidPoint: (bytes) => addon.is_valid_point(bytes),
  };
}

type NativeLoad = { ok: true; backend: GroupBackend } | { ok: false; reason: string };

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
    const addon = createRequire(__filename)(ADDON_PATH) as Partial<RistrettoAddon>;
    const missing = ADDON_FUNCTIONS.filter((fn) => typeof addon[fn] !== "function");
    if (missing.length > 0) return { ok: false, reason: `the addon lacks ${missing.join(", ")}` };
    return { ok: true, backend: nativeBackendOf(addon as RistrettoAddon) };
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
      `${BACKEND_ENV}=native but the native ristretto255 addon is unavailable (${native.reason}); ` +
        "build it with `node scripts/build-native.cjs` (needs a C compiler and libsodium-dev)",
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
