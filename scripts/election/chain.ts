import fs from "node:fs";
import path from "node:path";
import type { Hex } from "viem";
import { publicClientFor, type ChainEndpoint } from "../../server/chain/clients";
import type { ChainPublicClient } from "../../server/chain/deploy";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import { connectTo } from "../../server/cli/chain-options";
import { CliError, EXIT_USAGE } from "../../server/cli/errors";
import { step } from "./progress";

/**
 * Stage 0, the chain: the embedded Hardhat node (its development accounts play
 * every role) or an external chain named by a configuration file
 * (docs/besu/election.config.example.json) with a key file per account.
 */
export interface Accounts {
  commission: Hex;
  registrar: Hex;
  relays: Hex[];
  trustees: Hex[];
  observers: Hex[];
}

export interface Chain {
  endpoint: ChainEndpoint;
  accounts: Accounts;
  /** Embedded chain: the clock can be moved; an external chain runs in real time. */
  moveClockTo: ((timestamp: number) => Promise<void>) | null;
  confirmations: number;
  node: LocalNode | null;
}

export async function openChain(configFile: string | null): Promise<Chain> {
  return configFile === null ? openEmbeddedChain() : openExternalChain(configFile);
}

async function openEmbeddedChain(): Promise<Chain> {
  step("starting the embedded chain (Hardhat node)");
  const node = await startLocalNode({ kind: "hardhat" });
  const keys = node.privateKeys;
  const endpoint = { rpcUrl: node.rpcUrl, chainId: node.chainId };
  const client = publicClientFor(endpoint);
  return {
    endpoint,
    node,
    confirmations: 0,
    accounts: {
      commission: keys[0],
      registrar: keys[1],
      relays: [keys[2], keys[3]],
      observers: [keys[4], keys[5]],
      trustees: keys.slice(6, 11),
    },
    // Development nodes only: evm_increaseTime / evm_mine (not hardhat_*), as in the tests.
    moveClockTo: async (timestamp) => {
      const now = Number((await client.getBlock({ blockTag: "latest" })).timestamp);
      if (timestamp > now)
        await client.request({ method: "evm_increaseTime" as never, params: [timestamp - now] as never });
      await client.request({ method: "evm_mine" as never, params: [] as never });
    },
  };
}

function readKeyFile(file: string): Hex {
  let text: string;
  try {
    text = fs.readFileSync(file, "utf8").trim();
  } catch (error) {
    throw new CliError(`cannot read key file ${file}: ${(error as NodeJS.ErrnoException).code}`, EXIT_USAGE);
  }
  if (!/^0x[0-9a-fA-F]{64}$/.test(text))
    throw new CliError(`${file}: not a private key (0x and 64 hex digits)`, EXIT_USAGE);
  return text as Hex;
}

function readConfig(file: string) {
  const bad = (why: string) => new CliError(`${file}: ${why}`, EXIT_USAGE);
  let config: unknown;
  try {
    config = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw bad(
      error instanceof SyntaxError ? "not JSON" : `cannot read (${(error as NodeJS.ErrnoException).code})`,
    );
  }
  const c = config as {
    rpcUrl?: unknown;
    chainId?: unknown;
    confirmations?: unknown;
    accounts?: Record<string, unknown>;
  };
  if (typeof c.rpcUrl !== "string" || !/^https?:\/\//.test(c.rpcUrl))
    throw bad("rpcUrl must be an http(s) URL");
  if (c.accounts === undefined || typeof c.accounts !== "object") throw bad("needs an accounts object");
  const list = (name: string, count: number): string[] => {
    const value = c.accounts?.[name];
    if (!Array.isArray(value) || value.length !== count)
      throw bad(`accounts.${name} must list ${count} key files`);
    return value.map(String);
  };
  for (const name of ["commission", "registrar"])
    if (typeof c.accounts[name] !== "string") throw bad(`accounts.${name} must name a key file`);
  return {
    rpcUrl: c.rpcUrl,
    chainId: c.chainId === undefined ? undefined : Number(c.chainId),
    confirmations: Number(c.confirmations ?? 0),
    files: {
      commission: String(c.accounts.commission),
      registrar: String(c.accounts.registrar),
      relays: list("relays", 2),
      trustees: list("trustees", 5),
      observers: list("observers", 2),
    },
  };
}

async function openExternalChain(configFile: string): Promise<Chain> {
  const file = path.resolve(configFile);
  const config = readConfig(file);
  const key = (p: string) => readKeyFile(path.resolve(path.dirname(file), p));
  const accounts: Accounts = {
    commission: key(config.files.commission),
    registrar: key(config.files.registrar),
    relays: config.files.relays.map(key),
    trustees: config.files.trustees.map(key),
    observers: config.files.observers.map(key),
  };
  const all = [
    accounts.commission,
    accounts.registrar,
    ...accounts.relays,
    ...accounts.trustees,
    ...accounts.observers,
  ];
  if (new Set(all.map((k) => k.toLowerCase())).size !== all.length)
    throw new CliError(`${file}: every account must be distinct`, EXIT_USAGE);
  const endpoint = await connectTo(config.rpcUrl);
  if (config.chainId !== undefined && config.chainId !== endpoint.chainId)
    throw new CliError(
      `${file}: chainId ${config.chainId}, but ${config.rpcUrl} serves chain ${endpoint.chainId}`,
      EXIT_USAGE,
    );
  step(`external chain ${endpoint.chainId} at ${endpoint.rpcUrl}`);
  return { endpoint, node: null, confirmations: config.confirmations, accounts, moveClockTo: null };
}

/** Waits (external chain) or moves the clock (embedded chain) until the chain's time reaches `timestamp`. */
export async function reachTime(chain: Chain, client: ChainPublicClient, timestamp: number): Promise<void> {
  if (chain.moveClockTo !== null) return chain.moveClockTo(timestamp);
  for (;;) {
    const now = Number((await client.getBlock({ blockTag: "latest" })).timestamp);
    if (now >= timestamp) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, (timestamp - now) * 1000)));
  }
}
