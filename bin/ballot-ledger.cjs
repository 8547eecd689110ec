#!/usr/bin/env node
// The `ballot-ledger` command: runs the TypeScript CLI through tsx, so no build step is needed.
const path = require("node:path");
const { spawnSync } = require("node:child_process");

const tsxCli = require.resolve("tsx/cli");
const main = path.join(__dirname, "..", "server", "cli", "main.ts");
const result = spawnSync(process.execPath, [tsxCli, main, ...process.argv.slice(2)], { stdio: "inherit" });
if (result.error) {
  console.error(`ballot-ledger: ${result.error.message}`);
  process.exit(1);
}
process.exit(result.status ?? 1);
