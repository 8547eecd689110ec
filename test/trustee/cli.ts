import { execFile } from "node:child_process";
import path from "node:path";

/** Runs `node bin/ballot-ledger.cjs ...args` and returns its exit code and output (tests only). */
export interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

const BIN = path.join(__dirname, "..", "..", "bin", "ballot-ledger.cjs");

export function runCli(args: string[], env: NodeJS.ProcessEnv = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { env: { ...process.env, ...env }, timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (error, stdout, stderr) => {
        const code = error === null ? 0 : typeof error.code === "number" ? error.code : 1;
        resolve({ code, stdout: stdout.toString(), stderr: stderr.toString() });
      },
    );
  });
}
