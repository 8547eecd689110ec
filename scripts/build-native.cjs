#!/usr/bin/env node
// Builds the native crypto core (server/protocol/primitives/native-rs: Rust, curve25519-dalek and
// k256 through napi-rs) with cargo from crates.io sources and the committed Cargo.lock:
//
//   cargo build --release --locked   (in native-rs), then copy the cdylib to
//   native-rs/target/ballot_ledger_native.node
//
// Run by `npm ci` (postinstall) and by hand: `node scripts/build-native.cjs`. No prebuilt binary
// is downloaded. It is fail-soft: without cargo (rustup's ~/.cargo/bin is searched as well as
// PATH) or when the build fails it prints one line and exits 0, and the protocol uses
// libsodium's wasm build (server/protocol/primitives/backend.ts).
const fs = require("node:fs");
const os = require("node:os");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const crateDir = path.join(__dirname, "..", "server", "protocol", "primitives", "native-rs");
const targetDir = path.join(crateDir, "target");
const output = path.join(targetDir, "ballot_ledger_native.node");
const LIBRARY = { linux: "libballot_ledger_native.so", darwin: "libballot_ledger_native.dylib" };

function skip(reason) {
  console.log(`build-native: native crypto core not built (${reason}); libsodium wasm will be used`);
  process.exit(0);
}

/** PATH with cargo's usual homes appended (npm's postinstall may not have ~/.cargo/bin). */
function searchPath() {
  const extra = [];
  if (process.env.CARGO_HOME) extra.push(path.join(process.env.CARGO_HOME, "bin"));
  extra.push(path.join(os.homedir(), ".cargo", "bin"));
  return [process.env.PATH || "", ...extra].filter(Boolean).join(path.delimiter);
}

function main() {
  const library = LIBRARY[process.platform];
  if (library === undefined) skip(`${process.platform} is not supported by this build script`);
  if (!fs.existsSync(path.join(crateDir, "Cargo.toml"))) skip("native-rs/Cargo.toml is missing");
  const env = { ...process.env, PATH: searchPath(), CARGO_TARGET_DIR: targetDir };
  const cargo = process.env.CARGO || "cargo";
  const version = spawnSync(cargo, ["--version"], { env, encoding: "utf8" });
  if (version.error || version.status !== 0) skip("cargo not found: install the Rust toolchain (rustup)");

  const build = spawnSync(cargo, ["build", "--release", "--locked", "--quiet"], {
    cwd: crateDir,
    env,
    encoding: "utf8",
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (build.error || build.status !== 0) {
    const text = `${build.stderr || ""}${build.stdout || ""}`;
    const first = text.split("\n").find((line) => /error/i.test(line)) || `cargo exited with ${build.status}`;
    skip(first.trim());
  }
  const built = path.join(targetDir, "release", library);
  if (!fs.existsSync(built)) skip(`cargo produced no ${library}`);

  // Copy beside the target and rename, so a running process never loads a half-written file.
  const temporary = path.join(targetDir, `ballot_ledger_native.${process.pid}.tmp.node`);
  fs.copyFileSync(built, temporary);
  // The addon must load and compute G = 1 * G before it replaces a previous build.
  const check = spawnSync(
    process.execPath,
    [
      "-e",
      `const m = require(${JSON.stringify(temporary)}); const one = new Uint8Array(32); one[0] = 1;
       const g = Buffer.from(m.baseMul(one)).toString("hex");
       if (g !== "e2f2ae0a6abc4e71a884a961c500515f58e30b6aa582dd8db6a65945e08d2d76") throw new Error("wrong base point " + g);`,
    ],
    { encoding: "utf8" },
  );
  if (check.status !== 0) {
    fs.rmSync(temporary, { force: true });
    const reason = (check.stderr || "").split("\n").find((line) => /Error/.test(line)) || "it does not load";
    skip(`self-check failed: ${reason.trim()}`);
  }
  fs.renameSync(temporary, output);
  console.log(`build-native: built ${path.relative(process.cwd(), output)}`);
}

try {
  main();
} catch (error) {
  skip(error && error.message ? error.message : String(error));
}
