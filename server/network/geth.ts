import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/**
 * The client of the local network: go-ethereum, pinned, built from the Go
 * module proxy by scripts/build-geth.sh (once per machine) into the user's
 * Go build cache. GoQuorum (QBFT) is not served by the module proxy here
 * (docs/network.md), so this is the last go-ethereum release with Clique.
 */
export const GETH_VERSION = "v1.13.14";
/** The Go release that builds it (Go 1.23 and later refuse to link its github.com/fjl/memsize dependency: "invalid reference to runtime.stopTheWorld"). */
export const GETH_GO_TOOLCHAIN = "go1.21.13";
export const BUILD_GETH_COMMAND = "bash scripts/build-geth.sh";

export class GethMissingError extends Error {
  override name = "GethMissingError";
}

function goCache(): string {
  if (process.env.GOCACHE) return process.env.GOCACHE;
  try {
    const dir = execFileSync("go", ["env", "GOCACHE"], { encoding: "utf8" }).trim();
    if (dir !== "" && dir !== "off") return dir;
  } catch {
    // no go on PATH: Go's own default
  }
  return path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), ".cache"), "go-build");
}

/** Where scripts/build-geth.sh puts the binary (BALLOT_LEDGER_GETH overrides). */
export function gethPath(): string {
  return (
    process.env.BALLOT_LEDGER_GETH ?? path.join(goCache(), "ballot-ledger", `geth-${GETH_VERSION}`, "geth")
  );
}

/** The geth binary, or a GethMissingError naming the command that builds it. */
export function gethBinary(): string {
  const binary = gethPath();
  if (!fs.existsSync(binary))
    throw new GethMissingError(
      `go-ethereum ${GETH_VERSION} is not built (${binary} is missing): run \`${BUILD_GETH_COMMAND}\` (needs Go 1.21 or later and the Go module proxy; takes a few minutes once per machine)`,
    );
  return binary;
}
