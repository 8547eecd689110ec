import { existsSync } from "node:fs";
import path from "node:path";
import { nativeBackend, type GroupBackend, type NativeAddon } from "../../server/protocol/primitives/backend";

/** Where `npm ci` (scripts/build-native.cjs) puts the native crypto core. */
export const ADDON_FILE = path.join(
  __dirname,
  "../../server/protocol/primitives/native-rs/target/ballot_ledger_native.node",
);

/**
 * The native core for a cross-check suite: the suite is skipped, with a line
 * saying how to build the core, when it is not built (a machine without
 * cargo runs on wasm); a core that is built but does not load fails it.
 */
export function nativeCoreOrSkip(suite: Mocha.Context): { backend: GroupBackend; addon: NativeAddon } {
  if (!existsSync(ADDON_FILE)) {
    console.log(
      `      (skipped: the native core is not built; run \`node scripts/build-native.cjs\`, which needs cargo)`,
    );
    suite.skip();
  }
  const load = nativeBackend();
  if (!load.ok) throw new Error(`the native core is built but does not load: ${load.reason}`);
  return { backend: load.backend, addon: load.addon };
}
