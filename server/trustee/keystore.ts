import fs from "node:fs";
import path from "node:path";
import type { Address, Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { canonicalJson } from "../protocol/canonical-json";
import type { TrusteeSecret } from "../protocol/ceremony";
import { fromHex, toHex, utf8 } from "../protocol/primitives/bytes";
import { decodePoint, decodeScalar, type Point, type Scalar } from "../protocol/primitives/group";
import { lib } from "../protocol/primitives/sodium";

/**
 * The trustee's key file: its ceremony secrets (polynomial and box secret),
 * the Ethereum key it signs its ceremony and decryption transactions with,
 * and what it learns during the ceremony (the shares addressed to it, its
 * secret key share, the joint key), encrypted at rest with a passphrase.
 *
 *   key = Argon2id(passphrase, salt, opsLimit, memLimit)   (libsodium crypto_pwhash)
 *   ciphertext = XSalsa20-Poly1305(key, nonce, payload)     (libsodium crypto_secretbox_easy)
 *
 * The file is JSON with a format name and version; a BLAKE2b checksum over
 * the envelope tells accidental corruption (a checksum mismatch, bad JSON)
 * apart from a wrong passphrase (the checksum holds but the box does not
 * open). Every write goes to a temporary file that is fsynced and renamed
 * over the old one (mode 0600), so a crash leaves either the old or the new
 * file, never a torn one.
 */
export const KEYSTORE_FORMAT = "ballot-ledger/trustee-keystore";
export const KEYSTORE_VERSION = 1;
export const MIN_PASSPHRASE_LENGTH = 12;

export type KeystoreErrorCode =
  | "not-found"
  | "exists"
  | "wrong-passphrase"
  | "corrupted"
  | "unsupported-version"
  | "insecure-permissions"
  | "weak-passphrase"
  | "io";

export class KeystoreError extends Error {
  constructor(
    readonly code: KeystoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = "KeystoreError";
  }
}

/** Password hashing cost; stored in the file so that it can be opened with the same cost. */
export interface KdfLimits {
  opsLimit: number;
  memLimit: number;
}

/** libsodium's MODERATE limits (3 passes, 256 MiB; about 1.3 s under wasm): the default. */
export const KDF_MODERATE: KdfLimits = { opsLimit: 3, memLimit: 256 * 1024 * 1024 };
/** libsodium's INTERACTIVE limits (2 passes, 64 MiB; about 0.35 s): for tests and weak machines. */
export const KDF_INTERACTIVE: KdfLimits = { opsLimit: 2, memLimit: 64 * 1024 * 1024 };
/** Limits above these are refused when opening a file, so a tampered file cannot exhaust memory. */
const MAX_OPS_LIMIT = 16;
const MAX_MEM_LIMIT = 1024 * 1024 * 1024;

/** The secrets of the trustee's current ceremony round. */
export interface RoundSecrets {
  round: number;
  trusteeIndex: number;
  secret: TrusteeSecret;
  /** f_i(j) received from dealer i, checked against i's commitments. */
  receivedShares: Map<number, Scalar>;
  /** s_j = sum over dealers of f_i(j), once every share is in. */
  secretKeyShare: Scalar | null;
  jointKey: Point | null;
}

export interface TrusteeKeystoreData {
  chainId: bigint;
  election: Address;
  /** The Ethereum key that signs the trustee's transactions, and its address. */
  accountKey: Hex;
  trusteeAddress: Address;
  threshold: number;
  current: RoundSecrets;
}

// ------------------------------------------------------------------ serialisation

interface Envelope {
  format: typeof KEYSTORE_FORMAT;
  version: number;
  /** Not secret, shown before the passphrase is asked (checked against the payload after opening). */
  election: Address;
  trusteeAddress: Address;
  kdf: { algorithm: "argon2id13"; opsLimit: number; memLimit: number; salt: Hex };
  cipher: { algorithm: "xsalsa20poly1305"; nonce: Hex; ciphertext: Hex };
  checksum: Hex;
}

interface Payload {
  chainId: string;
  election: Address;
  accountKey: Hex;
  trusteeAddress: Address;
  threshold: number;
  current: {
    round: number;
    trusteeIndex: number;
    polynomial: Hex[];
    boxSecret: Hex;
    receivedShares: Record<string, Hex>;
    secretKeyShare: Hex | null;
    jointKey: Hex | null;
  };
}

function toPayload(data: TrusteeKeystoreData): Payload {
  const c = data.current;
  return {
    chainId: data.chainId.toString(),
    election: data.election,
    accountKey: data.accountKey,
    trusteeAddress: data.trusteeAddress,
    threshold: data.threshold,
    current: {
      round: c.round,
      trusteeIndex: c.trusteeIndex,
      polynomial: c.secret.polynomial.map(toHex),
      boxSecret: toHex(c.secret.boxSecret),
      receivedShares: Object.fromEntries(
        [...c.receivedShares].map(([dealer, s]) => [String(dealer), toHex(s)]),
      ),
      secretKeyShare: c.secretKeyShare === null ? null : toHex(c.secretKeyShare),
      jointKey: c.jointKey === null ? null : toHex(c.jointKey),
    },
  };
}

const corrupted = (detail: string) => new KeystoreError("corrupted", `key file is corrupted: ${detail}`);

function scalarOf(hex: unknown, what: string): Scalar {
  const bytes = typeof hex === "string" ? fromHex(hex) : null;
  const scalar = bytes === null ? null : decodeScalar(bytes);
  if (scalar === null) throw corrupted(`${what} is not a canonical scalar`);
  return scalar;
}

function pointOf(hex: unknown, what: string): Point {
  const bytes = typeof hex === "string" ? fromHex(hex) : null;
  const point = bytes === null ? null : decodePoint(bytes);
  if (point === null) throw corrupted(`${what} is not a valid point`);
  return point;
}

const isInt = (value: unknown, min: number, max: number): value is number =>
  Number.isInteger(value) && (value as number) >= min && (value as number) <= max;

function fromPayload(value: unknown): TrusteeKeystoreData {
  const p = value as Payload;
  if (typeof p !== "object" || p === null || typeof p.current !== "object" || p.current === null)
    throw corrupted("payload is not an object");
  if (typeof p.chainId !== "string" || !/^[0-9]{1,20}$/.test(p.chainId)) throw corrupted("bad chain id");
  if (typeof p.election !== "string" || fromHex(p.election)?.length !== 20)
    throw corrupted("bad election address");
  if (!isInt(p.threshold, 1, 32)) throw corrupted("bad threshold");
  const keyBytes = typeof p.accountKey === "string" ? fromHex(p.accountKey) : null;
  if (keyBytes === null || keyBytes.length !== 32) throw corrupted("bad account key");
  const trusteeAddress = privateKeyToAccount(p.accountKey).address;
  if (typeof p.trusteeAddress !== "string" || p.trusteeAddress.toLowerCase() !== trusteeAddress.toLowerCase())
    throw corrupted("trustee address does not belong to the account key");
  const c = p.current;
  if (!isInt(c.round, 0, 0xffffffff) || !isInt(c.trusteeIndex, 1, 32)) throw corrupted("bad round or index");
  if (!Array.isArray(c.polynomial) || c.polynomial.length !== p.threshold)
    throw corrupted("polynomial does not have threshold coefficients");
  const receivedShares = new Map<number, Scalar>();
  if (typeof c.receivedShares !== "object" || c.receivedShares === null)
    throw corrupted("bad received shares");
  for (const [dealer, share] of Object.entries(c.receivedShares)) {
    const index = Number(dealer);
    if (!isInt(index, 1, 32)) throw corrupted(`bad dealer index ${dealer}`);
    receivedShares.set(index, scalarOf(share, `share from trustee ${dealer}`));
  }
  return {
    chainId: BigInt(p.chainId),
    election: p.election,
    accountKey: p.accountKey,
    trusteeAddress,
    threshold: p.threshold,
    current: {
      round: c.round,
      trusteeIndex: c.trusteeIndex,
      secret: {
        polynomial: c.polynomial.map((a, k) => scalarOf(a, `coefficient ${k}`)),
        boxSecret: scalarOf(c.boxSecret, "box secret"),
      },
      receivedShares,
      secretKeyShare: c.secretKeyShare === null ? null : scalarOf(c.secretKeyShare, "secret key share"),
      jointKey: c.jointKey === null ? null : pointOf(c.jointKey, "joint key"),
    },
  };
}

function envelopeChecksum(envelope: Omit<Envelope, "checksum">): Hex {
  return toHex(lib().crypto_generichash(32, utf8(canonicalJson(envelope)), null));
}

function deriveKey(passphrase: string, salt: Uint8Array, limits: KdfLimits): Uint8Array {
  const sodium = lib();
  return sodium.crypto_pwhash(
    sodium.crypto_secretbox_KEYBYTES,
    utf8(passphrase),
    salt,
    limits.opsLimit,
    limits.memLimit,
    sodium.crypto_pwhash_ALG_ARGON2ID13,
  );
}

function seal(data: TrusteeKeystoreData, key: Uint8Array, salt: Uint8Array, limits: KdfLimits): Envelope {
  const sodium = lib();
  const nonce = sodium.randombytes_buf(sodium.crypto_secretbox_NONCEBYTES);
  const plaintext = utf8(JSON.stringify(toPayload(data)));
  const ciphertext = sodium.crypto_secretbox_easy(plaintext, nonce, key);
  sodium.memzero(plaintext);
  const body: Omit<Envelope, "checksum"> = {
    format: KEYSTORE_FORMAT,
    version: KEYSTORE_VERSION,
    election: data.election,
    trusteeAddress: data.trusteeAddress,
    kdf: { algorithm: "argon2id13", opsLimit: limits.opsLimit, memLimit: limits.memLimit, salt: toHex(salt) },
    cipher: { algorithm: "xsalsa20poly1305", nonce: toHex(nonce), ciphertext: toHex(ciphertext) },
  };
  return { ...body, checksum: envelopeChecksum(body) };
}

/** Parses and checks the envelope (no passphrase needed). */
function parseEnvelope(text: string): Envelope {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw corrupted("not JSON");
  }
  const e = value as Envelope;
  if (typeof e !== "object" || e === null || e.format !== KEYSTORE_FORMAT)
    throw corrupted(`not a ${KEYSTORE_FORMAT} file`);
  if (e.version !== KEYSTORE_VERSION)
    throw new KeystoreError(
      "unsupported-version",
      `key file version ${String(e.version)} is not supported (this tool reads version ${KEYSTORE_VERSION})`,
    );
  if (typeof e.kdf !== "object" || e.kdf === null || typeof e.cipher !== "object" || e.cipher === null)
    throw corrupted("missing kdf or cipher section");
  const { checksum, ...body } = e;
  let expected: Hex | null = null;
  try {
    expected = envelopeChecksum(body);
  } catch {
    // canonical JSON refuses non-integer numbers: not a file this tool wrote
  }
  if (typeof checksum !== "string" || expected === null || checksum.toLowerCase() !== expected)
    throw corrupted("checksum mismatch (the file was altered or truncated)");
  if (e.kdf.algorithm !== "argon2id13" || e.cipher.algorithm !== "xsalsa20poly1305")
    throw corrupted("unknown algorithm");
  if (!isInt(e.kdf.opsLimit, 1, MAX_OPS_LIMIT) || !isInt(e.kdf.memLimit, 8192, MAX_MEM_LIMIT))
    throw corrupted("password hashing limits out of range");
  return e;
}

// ------------------------------------------------------------------ files

function writeAtomically(target: string, contents: string, mode: "create" | "replace"): void {
  const directory = path.dirname(path.resolve(target));
  const temporary = path.join(directory, `.${path.basename(target)}.${process.pid}.${Date.now()}.tmp`);
  try {
    const fd = fs.openSync(temporary, "wx", 0o600);
    try {
      fs.writeFileSync(fd, contents);
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    if (mode === "create") {
      // link() fails when the target exists: never overwrite a key file on creation.
      fs.linkSync(temporary, target);
      fs.unlinkSync(temporary);
    } else {
      fs.renameSync(temporary, target);
    }
    const dirFd = fs.openSync(directory, "r");
    try {
      fs.fsyncSync(dirFd);
    } finally {
      fs.closeSync(dirFd);
    }
  } catch (error) {
    fs.rmSync(temporary, { force: true });
    const code = (error as NodeJS.ErrnoException).code;
    if (code === "EEXIST")
      throw new KeystoreError("exists", `key file ${target} already exists: refusing to overwrite it`);
    throw new KeystoreError("io", `cannot write key file ${target}: ${code ?? (error as Error).message}`);
  }
}

function readKeyFile(file: string): string {
  let stat: fs.Stats;
  try {
    stat = fs.statSync(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT")
      throw new KeystoreError("not-found", `key file ${file} does not exist (run \`trustee init\` first)`);
    throw new KeystoreError("io", `cannot read key file ${file}: ${(error as Error).message}`);
  }
  if (!stat.isFile()) throw new KeystoreError("io", `key file ${file} is not a regular file`);
  if ((stat.mode & 0o077) !== 0)
    throw new KeystoreError(
      "insecure-permissions",
      `key file ${file} is accessible by other users (mode ${(stat.mode & 0o777).toString(8)}): run chmod 600`,
    );
  return fs.readFileSync(file, "utf8");
}

export function checkPassphraseStrength(passphrase: string): void {
  if ([...passphrase].length < MIN_PASSPHRASE_LENGTH)
    throw new KeystoreError(
      "weak-passphrase",
      `the passphrase must be at least ${MIN_PASSPHRASE_LENGTH} characters long`,
    );
}

/** An opened key file: the decrypted data and the means to write an update back. */
export class TrusteeKeystore {
  private constructor(
    readonly file: string,
    private state: TrusteeKeystoreData,
    private readonly key: Uint8Array,
    private readonly salt: Uint8Array,
    private readonly limits: KdfLimits,
  ) {}

  get data(): TrusteeKeystoreData {
    return this.state;
  }

  /** Creates a new key file; refuses to overwrite an existing one. */
  static create(
    file: string,
    passphrase: string,
    data: TrusteeKeystoreData,
    limits: KdfLimits = KDF_MODERATE,
  ): TrusteeKeystore {
    checkPassphraseStrength(passphrase);
    if (fs.existsSync(file))
      throw new KeystoreError("exists", `key file ${file} already exists: refusing to overwrite it`);
    const sodium = lib();
    const salt = sodium.randombytes_buf(sodium.crypto_pwhash_SALTBYTES);
    const key = deriveKey(passphrase, salt, limits);
    const envelope = seal(data, key, salt, limits);
    writeAtomically(file, `${JSON.stringify(envelope, null, 2)}\n`, "create");
    return new TrusteeKeystore(file, data, key, salt, limits);
  }

  /** Reads the envelope only: who the file belongs to, without the passphrase. */
  static describe(file: string): { election: Address; trusteeAddress: Address } {
    const envelope = parseEnvelope(readKeyFile(file));
    return { election: envelope.election, trusteeAddress: envelope.trusteeAddress };
  }

  static open(file: string, passphrase: string): TrusteeKeystore {
    const envelope = parseEnvelope(readKeyFile(file));
    const sodium = lib();
    const salt = fromHex(envelope.kdf.salt);
    const nonce = fromHex(envelope.cipher.nonce);
    const ciphertext = fromHex(envelope.cipher.ciphertext);
    if (salt?.length !== sodium.crypto_pwhash_SALTBYTES) throw corrupted("bad salt");
    if (nonce?.length !== sodium.crypto_secretbox_NONCEBYTES) throw corrupted("bad nonce");
    if (ciphertext === null || ciphertext.length < sodium.crypto_secretbox_MACBYTES)
      throw corrupted("bad ciphertext");
    const limits = { opsLimit: envelope.kdf.opsLimit, memLimit: envelope.kdf.memLimit };
    const key = deriveKey(passphrase, salt, limits);
    let plaintext: Uint8Array;
    try {
      plaintext = sodium.crypto_secretbox_open_easy(ciphertext, nonce, key);
    } catch {
      sodium.memzero(key);
      throw new KeystoreError("wrong-passphrase", `wrong passphrase for key file ${file}`);
    }
    let payload: unknown;
    try {
      payload = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(plaintext));
    } catch {
      throw corrupted("the decrypted payload is not JSON");
    } finally {
      sodium.memzero(plaintext);
    }
    try {
      const data = fromPayload(payload);
      if (
        data.election.toLowerCase() !== envelope.election.toLowerCase() ||
        data.trusteeAddress.toLowerCase() !== envelope.trusteeAddress.toLowerCase()
      )
        throw corrupted("the clear-text header does not match the encrypted payload");
      return new TrusteeKeystore(file, data, key, salt, limits);
    } catch (error) {
      sodium.memzero(key);
      throw error;
    }
  }

  /** Writes new data (same passphrase, fresh nonce) atomically, then makes it current. */
  save(data: TrusteeKeystoreData): void {
    const envelope = seal(data, this.key, this.salt, this.limits);
    writeAtomically(this.file, `${JSON.stringify(envelope, null, 2)}\n`, "replace");
    this.state = data;
  }

  /** Applies a change to the current round's secrets and saves. */
  updateRound(change: (current: RoundSecrets) => RoundSecrets): void {
    this.save({ ...this.state, current: change(this.state.current) });
  }

  /** Forgets the derived key (the process keeps no usable key material after this). */
  close(): void {
    lib().memzero(this.key);
  }
}
