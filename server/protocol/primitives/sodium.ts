import sodium from "libsodium-wrappers-sumo";
import { activateBackend } from "./backend";

/**
 * libsodium loads asynchronously (wasm). Every entry point awaits `initCrypto()`
 * once; after that, all protocol functions are synchronous. It also chooses the
 * backend of the group operations (native addon or wasm, see backend.ts) and
 * fails when BALLOT_LEDGER_CRYPTO_BACKEND forces one that is unavailable.
 */
let ready = false;

export async function initCrypto(): Promise<void> {
  await sodium.ready;
  activateBackend();
  ready = true;
}

export function lib(): typeof sodium {
  if (!ready) throw new Error("crypto not initialised: await initCrypto() first");
  return sodium;
}
