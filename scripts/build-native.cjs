#!/usr/bin/env node
// Builds the optional native ristretto255 addon (server/protocol/primitives/native/ristretto.c)
// with the system C compiler against the system libsodium and Node's own N-API headers:
//
//   cc -O2 -shared -fPIC -I<node include dir> ristretto.c -lsodium -o build/Release/ristretto.node
//
// Run by `npm ci` (postinstall) and by hand: `node scripts/build-native.cjs`. It is fail-soft:
// without a compiler, libsodium-dev or Node's headers it prints one line and exits 0, and the
// protocol keeps using libsodium's wasm build (server/protocol/primitives/backend.ts).
const fs = require("node:fs");
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const nativeDir = path.join(__dirname, "..", "server", "protocol", "primitives", "native");
const source = path.join(nativeDir, "ristretto.c");
const outDir = path.join(nativeDir, "build", "Release");
const output = path.join(outDir, "ristretto.node");

function skip(reason) {
  console.log(`build-native: native ristretto255 backend not built (${reason}); libsodium wasm will be used`);
  process.exit(0);
}

const hasNodeApi = (dir) => dir && fs.existsSync(path.join(dir, "node_api.h"));

/** The directory holding node_api.h for the running Node. */
function nodeIncludeDir() {
  const candidates = [];
  if (process.env.npm_config_nodedir)
    candidates.push(path.join(process.env.npm_config_nodedir, "include", "node"));
  candidates.push(path.resolve(path.dirname(process.execPath), "..", "include", "node"));
  const prefix = process.config && process.config.variables && process.config.variables.node_prefix;
  if (prefix) candidates.push(path.join(prefix, "include", "node"));
  candidates.push("/usr/include/node", "/usr/local/include/node");
  const found = candidates.find(hasNodeApi);
  if (found) return found;
  const npm = spawnSync("npm", ["config", "get", "nodedir"], {
    encoding: "utf8",
    shell: process.platform === "win32",
  });
  const nodedir = npm.status === 0 ? npm.stdout.trim() : "";
  if (nodedir && nodedir !== "undefined" && nodedir !== "null") {
    const dir = path.join(nodedir, "include", "node");
    if (hasNodeApi(dir)) return dir;
  }
  return null;
}

/** Compiler and linker flags for libsodium: pkg-config when it knows them, else -lsodium. */
function sodiumFlags() {
  const pkg = spawnSync("pkg-config", ["--cflags", "--libs", "libsodium"], { encoding: "utf8" });
  if (pkg.status === 0 && pkg.stdout.trim() !== "") return pkg.stdout.trim().split(/\s+/);
  return ["-lsodium"];
}

function main() {
  if (process.platform === "win32") skip("Windows is not supported by this build script");
  if (!fs.existsSync(source)) skip(`${path.relative(process.cwd(), source)} is missing`);
  const include = nodeIncludeDir();
  if (include === null) skip("node_api.h not found: install Node's headers");

  const cc = process.env.CC || "cc";
  fs.mkdirSync(outDir, { recursive: true });
  // Build beside the target and rename, so a running process never loads a half-written file.
  const temporary = path.join(outDir, `ristretto.${process.pid}.tmp.node`);
  const args = ["-O2", "-shared", "-fPIC", `-I${include}`, source, ...sodiumFlags(), "-o", temporary];
  const build = spawnSync(cc, args, { encoding: "utf8" });
  if (build.error) {
    fs.rmSync(temporary, { force: true });
    skip(build.error.code === "ENOENT" ? `no C compiler (${cc})` : `${cc}: ${build.error.message}`);
  }
  if (build.status !== 0) {
    fs.rmSync(temporary, { force: true });
    const text = `${build.stderr}${build.stdout}`;
    if (/sodium\.h|-lsodium|cannot find -lsodium/.test(text)) skip("libsodium-dev is not installed");
    const first = text.split("\n").find((line) => /error/i.test(line)) || `${cc} exited with ${build.status}`;
    skip(first.trim());
  }

  // The addon must load and compute G = 1 * G before it replaces a previous build.
  const check = spawnSync(
    process.execPath,
    [
      "-e",
      `const m = require(${JSON.stringify(temporary)}); const one = new Uint8Array(32); one[0] = 1;
       const g = Buffer.from(m.scalarmult_base(one)).toString("hex");
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
