import { spawn, type ChildProcess } from "node:child_process";
import net from "node:net";
import path from "node:path";
import { createPublicClient, http } from "viem";
import { mnemonicToAccount } from "viem/accounts";
import { toHex } from "../protocol/primitives/bytes";

/**
 * Starts a throw-away local EVM node as a child process: the embedded chain of
 * `npm start` (Hardhat's node) or, for the cross-check, anvil. Both derive
 * their funded accounts from the same well-known development mnemonic, which
 * must never be used on a real network.
 */
export type LocalNodeKind = "hardhat" | "anvil";

export const DEV_MNEMONIC = "test test test test test test test test test test test junk";
export const DEV_ACCOUNT_COUNT = 20;

export interface LocalNode {
  kind: LocalNodeKind;
  rpcUrl: string;
  chainId: number;
  /** Private keys of the funded development accounts, index 0..DEV_ACCOUNT_COUNT-1. */
  privateKeys: `0x${string}`[];
  /** The node's process id (for the benchmarks' CPU and memory figures), null once it is gone. */
  pid?(): number | null;
  stop(): Promise<void>;
}

export function devPrivateKey(index: number): `0x${string}` {
  const key = mnemonicToAccount(DEV_MNEMONIC, { addressIndex: index }).getHdKey().privateKey;
  if (!key) throw new Error("cannot derive development key");
  return toHex(key);
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function anvilBinary(): string {
  const packageJson = require.resolve("@foundry-rs/anvil-linux-amd64/package.json");
  return path.join(path.dirname(packageJson), "bin", "anvil");
}

export async function startLocalNode(
  options: {
    kind?: LocalNodeKind;
    port?: number;
    log?: (line: string) => void;
    /** Extra anvil options, e.g. ["--prune-history", "64"] for a long chain (`anvil --help`). */
    anvilArgs?: readonly string[];
  } = {},
): Promise<LocalNode> {
  const kind = options.kind ?? "hardhat";
  const port = options.port ?? (await freePort());
  const projectRoot = path.resolve(__dirname, "..", "..");
  const child: ChildProcess =
    kind === "hardhat"
      ? spawn(
          process.execPath,
          [
            require.resolve("hardhat/internal/cli/cli"),
            "node",
            "--hostname",
            "127.0.0.1",
            "--port",
            String(port),
          ],
          {
            cwd: projectRoot,
            stdio: ["ignore", "pipe", "pipe"],
          },
        )
      : spawn(
          anvilBinary(),
          [
            "--host",
            "127.0.0.1",
            "--port",
            String(port),
            "--chain-id",
            "31337",
            "--accounts",
            String(DEV_ACCOUNT_COUNT),
            "--gas-limit",
            "60000000",
            "--hardfork",
            "london",
            "--silent",
            ...(options.anvilArgs ?? []),
          ],
          { stdio: ["ignore", "pipe", "pipe"] },
        );
  let output = "";
  const collect = (chunk: Buffer) => {
    output = (output + chunk.toString()).slice(-4000);
    options.log?.(chunk.toString());
  };
  child.stdout?.on("data", collect);
  child.stderr?.on("data", collect);
  let exited = false;
  child.once("exit", () => (exited = true));

  const rpcUrl = `http://127.0.0.1:${port}`;
  const client = createPublicClient({ transport: http(rpcUrl, { retryCount: 0 }) });
  const deadline = Date.now() + 60_000;
  let chainId: number | undefined;
  while (chainId === undefined) {
    if (exited) throw new Error(`${kind} node exited during start-up:\n${output}`);
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`${kind} node did not answer on ${rpcUrl} within 60 s:\n${output}`);
    }
    try {
      chainId = await client.getChainId();
    } catch {
      await new Promise((r) => setTimeout(r, 200));
    }
  }

  const privateKeys = Array.from({ length: DEV_ACCOUNT_COUNT }, (_, i) => devPrivateKey(i));
  return {
    kind,
    rpcUrl,
    chainId,
    privateKeys,
    pid: () => (exited ? null : (child.pid ?? null)),
    stop: () =>
      new Promise<void>((resolve) => {
        if (exited) return resolve();
        child.once("exit", () => resolve());
        child.kill("SIGTERM");
        setTimeout(() => child.kill("SIGKILL"), 5_000).unref();
      }),
  };
}
