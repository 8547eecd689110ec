import { RSABSSA } from "@cloudflare/blindrsa-ts";
import type { BallotCredential } from "./ballot";
import { addressBytes, type Address, type ElectionLocation } from "./context";
import { nativeBlindRsa } from "./primitives/backend";
import { concatBytes, toHex, u32be, u64be, utf8 } from "./primitives/bytes";

/**
 * Anonymous credentials: RFC 9474 blind RSA, RSABSSA-SHA384-PSS-Randomized,
 * one registrar key per (election, ballot style), public exponent 65537.
 *
 *   message = "ballot-ledger/v1/credential" || u64(chainId) || election (20) || u32(styleIndex) || votingAddress (20)
 *
 * The voter prepares (32-byte random prefix || message), blinds it, the
 * registrar signs the blinded value without seeing it, the voter finalizes to
 * a standard RSASSA-PSS signature (SHA-384, MGF1-SHA-384, salt 48 bytes) over
 * prefix || message. A ballot carries the prefix and the signature; the
 * voting address comes from the ballot's EIP-712 signature, so a credential is
 * useless to anyone who does not hold that voting key.
 *
 * This module runs in Node and in browsers (WebCrypto). The registrar's
 * private operation is in credential-issuer.ts (Node only). The voter's
 * blinding and finalizing run on the native core when it is active (the
 * blind-rsa-signatures crate, constant-time big integers: about 1 ms), else on
 * @cloudflare/blindrsa-ts (sjcl big integers: about 45 ms on this project's
 * VM, most of a simulated voter's CPU); both give requests the registrar
 * signs alike and the same signature from the same answer
 * (test/protocol/credential.test.ts).
 */
export const CREDENTIAL_MESSAGE_PREFIX = utf8("ballot-ledger/v1/credential");
export const CREDENTIAL_PREFIX_BYTES = 32;
export const REGISTRAR_MODULUS_SIZES: readonly number[] = Object.freeze([256, 384, 512]);
const PUBLIC_EXPONENT = new Uint8Array([1, 0, 1]);
const PSS_SALT_BYTES = 48;

const suite = () => RSABSSA.SHA384.PSS.Randomized();

export function credentialMessage(
  location: ElectionLocation,
  styleIndex: number,
  votingAddress: Address,
): Uint8Array {
  return concatBytes(
    CREDENTIAL_MESSAGE_PREFIX,
    u64be(location.chainId),
    addressBytes(location.election),
    u32be(styleIndex),
    addressBytes(votingAddress),
  );
}

export type ModulusCheck = { ok: true } | { ok: false; reason: string };

/** A registrar key as recorded on chain: the big-endian modulus, 2048, 3072 or 4096 bits, odd, top bit set. */
export function checkRegistrarModulus(modulus: Uint8Array): ModulusCheck {
  if (!REGISTRAR_MODULUS_SIZES.includes(modulus.length))
    return { ok: false, reason: `modulus must be ${REGISTRAR_MODULUS_SIZES.join(", ")} bytes` };
  if ((modulus[0] & 0x80) === 0) return { ok: false, reason: "modulus top bit is not set" };
  if ((modulus[modulus.length - 1] & 1) === 0) return { ok: false, reason: "modulus is even" };
  return { ok: true };
}

const base64Url = (bytes: Uint8Array): string => {
  let binary = "";
  for (const byte of bytes) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};

const importedKeys = new Map<string, Promise<CryptoKey>>();

/** The WebCrypto RSA-PSS/SHA-384 public key of a modulus (cached; throws on an invalid modulus). */
export function registrarPublicKey(modulus: Uint8Array): Promise<CryptoKey> {
  const check = checkRegistrarModulus(modulus);
  if (!check.ok) return Promise.reject(new RangeError(check.reason));
  const cacheKey = toHex(modulus);
  let key = importedKeys.get(cacheKey);
  if (key === undefined) {
    key = globalThis.crypto.subtle.importKey(
      "jwk",
      { kty: "RSA", n: base64Url(modulus), e: base64Url(PUBLIC_EXPONENT), alg: "PS384", ext: true },
      { name: "RSA-PSS", hash: "SHA-384" },
      true,
      ["verify"],
    );
    if (importedKeys.size >= 256) importedKeys.clear();
    importedKeys.set(cacheKey, key);
  }
  return key;
}

/** The voter's state between blinding and finalizing; the prepared message stays with the voter. */
export interface CredentialRequest {
  preparedMessage: Uint8Array;
  blindedMessage: Uint8Array;
  inverse: Uint8Array;
}

export async function blindCredentialRequest(
  modulus: Uint8Array,
  message: Uint8Array,
): Promise<CredentialRequest> {
  const publicKey = await registrarPublicKey(modulus);
  const rsa = suite();
  const preparedMessage = rsa.prepare(message);
  const native = nativeBlindRsa();
  if (native !== null) {
    const blinded = native.blindRsaBlind(modulus, preparedMessage);
    return {
      preparedMessage,
      blindedMessage: blinded.slice(0, modulus.length),
      inverse: blinded.slice(modulus.length),
    };
  }
  const { blindedMsg, inv } = await rsa.blind(publicKey, preparedMessage);
  return { preparedMessage, blindedMessage: blindedMsg, inverse: inv };
}

/** Unblinds the registrar's answer; fails (throws) when the blind signature is not valid for the key. */
export async function finalizeCredential(
  modulus: Uint8Array,
  request: CredentialRequest,
  blindSignature: Uint8Array,
): Promise<BallotCredential> {
  const publicKey = await registrarPublicKey(modulus);
  const native = nativeBlindRsa();
  const signature =
    native !== null
      ? native.blindRsaFinalize(modulus, request.preparedMessage, blindSignature, request.inverse)
      : await suite().finalize(publicKey, request.preparedMessage, blindSignature, request.inverse);
  return { messagePrefix: request.preparedMessage.slice(0, CREDENTIAL_PREFIX_BYTES), signature };
}

export type CredentialCheck = { ok: true } | { ok: false; reason: string };

/** Checks a ballot's credential for a style and voting address. Never throws. */
export async function verifyCredential(
  location: ElectionLocation,
  styleIndex: number,
  votingAddress: Address,
  credential: BallotCredential,
  modulus: Uint8Array,
): Promise<CredentialCheck> {
  if (credential.messagePrefix.length !== CREDENTIAL_PREFIX_BYTES)
    return { ok: false, reason: "credential prefix must be 32 bytes" };
  if (credential.signature.length !== modulus.length)
    return { ok: false, reason: "credential signature length does not match the registrar key" };
  try {
    const publicKey = await registrarPublicKey(modulus);
    const prepared = concatBytes(
      credential.messagePrefix,
      credentialMessage(location, styleIndex, votingAddress),
    );
    const valid = await globalThis.crypto.subtle.verify(
      { name: "RSA-PSS", saltLength: PSS_SALT_BYTES },
      publicKey,
      new Uint8Array(credential.signature),
      new Uint8Array(prepared),
    );
    return valid ? { ok: true } : { ok: false, reason: "credential signature is not valid" };
  } catch (error) {
    return {
      ok: false,
      reason: `credential cannot be checked: ${error instanceof Error ? error.message : error}`,
    };
  }
}
