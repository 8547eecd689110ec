import { randomBytes, scrypt, timingSafeEqual } from "node:crypto";
import { keccak256, type Hex } from "viem";

/**
 * The registrar's identifiers and secrets (Node only, like credential-issuer.ts):
 *
 *   voterIdHash = the journal key of docs/protocol.md 11.1 (channel.ts journalKey), from the voter id and code
 *   requestHash = keccak256(blindedMessage)
 *
 * Both go on chain with recordIssuance. The code enters the journal key, so
 * the public journal cannot be matched against a list of voter ids, while the
 * voter (and the invitation office) can find their own entry. The one-time
 * codes of the voter roll are stored only as scrypt hashes:
 *
 *   scrypt$<log2 N>$<r>$<p>$<salt, base64url>$<64-byte key, base64url>
 */

export const issuanceRequestHash = (blindedMessage: Uint8Array): Hex => keccak256(blindedMessage);

export interface CodeHashParams {
  /** log2 of the scrypt cost N; 15 by default (32 MiB, about 100 ms). */
  logN: number;
  r: number;
  p: number;
}

export const DEFAULT_CODE_HASH_PARAMS: CodeHashParams = { logN: 15, r: 8, p: 1 };
const KEY_BYTES = 64;
const SALT_BYTES = 16;

function derive(code: string, salt: Uint8Array, params: CodeHashParams): Promise<Buffer> {
  const N = 2 ** params.logN;
  return new Promise((resolve, reject) =>
    scrypt(
      code.normalize("NFC"),
      salt,
      KEY_BYTES,
      { N, r: params.r, p: params.p, maxmem: 256 * N * params.r + 1024 * 1024 },
      (error, key) => (error ? reject(error) : resolve(key)),
    ),
  );
}

/** Hashes a one-time code for the roll file (fresh random salt). */
export async function hashOneTimeCode(
  code: string,
  params: CodeHashParams = DEFAULT_CODE_HASH_PARAMS,
): Promise<string> {
  const salt = randomBytes(SALT_BYTES);
  const key = await derive(code, salt, params);
  return `scrypt$${params.logN}$${params.r}$${params.p}$${salt.toString("base64url")}$${key.toString("base64url")}`;
}

const HASH_FORMAT = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9_-]{16,64})\$([A-Za-z0-9_-]{86})$/;

/** Whether a stored code hash is well formed (parameters within sane bounds). */
export function isOneTimeCodeHash(stored: string): boolean {
  const match = HASH_FORMAT.exec(stored);
  if (match === null) return false;
  const [logN, r, p] = [Number(match[1]), Number(match[2]), Number(match[3])];
  return logN >= 10 && logN <= 20 && r >= 1 && r <= 32 && p >= 1 && p <= 16;
}

/** Checks a code against its stored hash in constant time; false for a malformed hash. */
export async function verifyOneTimeCode(code: string, stored: string): Promise<boolean> {
  if (!isOneTimeCodeHash(stored)) return false;
  const match = HASH_FORMAT.exec(stored)!;
  const params = { logN: Number(match[1]), r: Number(match[2]), p: Number(match[3]) };
  const salt = Buffer.from(match[4], "base64url");
  const expected = Buffer.from(match[5], "base64url");
  const key = await derive(code, salt, params);
  return key.length === expected.length && timingSafeEqual(key, expected);
}
