import sodium from "libsodium-wrappers-sumo";

/**
 * libsodium loads asynchronously (wasm). Every entry point awaits `initCrypto()`
 * once; after that, all protocol functions are synchronous.
 */
let ready = false;

export async function initCrypto(): Promise<void> {
  await sodium.ready;
  ready = true;
}

export function lib(): typeof sodium {
  if (!ready) throw new Error("crypto not initialised: await initCrypto() first");
  return sodium;
}
