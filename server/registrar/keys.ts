import fs from "node:fs";
import { keccak256, type Address, type Hex } from "viem";
import type { AccountWalletClient } from "../chain/clients";
import type { ChainPublicClient } from "../chain/deploy";
import { sendElectionTx } from "../chain/election-reader";
import { electionAbi } from "../chain/generated/abis";
import { checkRegistrarModulus } from "../protocol/credential";
import { registrarKeyFromPem, type RegistrarKeyPair } from "../protocol/credential-issuer";
import { toHex } from "../protocol/primitives/bytes";

/**
 * The registrar's RSA keys, one per ballot style, each in its own PEM file
 * (PKCS#8 or PKCS#1, public exponent 65537, 2048-4096 bits). Only the
 * moduli leave the registrar: `setRegistrarKey(style, modulus)` before the
 * window opens.
 */
export class RegistrarKeyError extends Error {}

export function loadRegistrarKeys(files: Readonly<Record<string, string>>): Map<number, RegistrarKeyPair> {
  const keys = new Map<number, RegistrarKeyPair>();
  for (const [styleText, file] of Object.entries(files)) {
    const style = Number(styleText);
    if (!Number.isInteger(style) || style < 0)
      throw new RegistrarKeyError(`invalid ballot style ${styleText}`);
    let key: RegistrarKeyPair;
    try {
      key = registrarKeyFromPem(fs.readFileSync(file, "utf8"));
    } catch (error) {
      throw new RegistrarKeyError(`registrar key for style ${style} (${file}): ${(error as Error).message}`);
    }
    const check = checkRegistrarModulus(key.modulus);
    if (!check.ok) throw new RegistrarKeyError(`registrar key for style ${style} (${file}): ${check.reason}`);
    keys.set(style, key);
  }
  return keys;
}

export const modulusHash = (modulus: Uint8Array): Hex => keccak256(modulus);

export interface PublishedKey {
  style: number;
  keyHash: Hex;
  /** Whether a transaction was needed (false: the chain already had this key). */
  changed: boolean;
}

/** Puts every key's modulus on chain where the chain does not have it yet (setRegistrarKey). */
export async function publishRegistrarKeys(
  wallet: AccountWalletClient,
  client: ChainPublicClient,
  election: Address,
  keys: ReadonlyMap<number, RegistrarKeyPair>,
): Promise<PublishedKey[]> {
  const published: PublishedKey[] = [];
  for (const [style, key] of [...keys].sort((a, b) => a[0] - b[0])) {
    const keyHash = modulusHash(key.modulus);
    const onChain = await client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "registrarKeyHash",
      args: [style],
    });
    if (onChain === keyHash) {
      published.push({ style, keyHash, changed: false });
      continue;
    }
    await sendElectionTx(wallet, client, election, "setRegistrarKey", [style, toHex(key.modulus)]);
    published.push({ style, keyHash, changed: true });
  }
  return published;
}
