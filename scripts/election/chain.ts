import fs from "node:fs";
import path from "node:path";
import type { Hex } from "viem";
import { publicClientFor, type ChainEndpoint } from "../../server/chain/clients";
import type { ChainPublicClient } from "../../server/chain/deploy";
import { startLocalNode, type LocalNode, type LocalNodeKind } from "../../server/chain/local-node";
import { connectTo } from "../../server/cli/chain-options";
import { CliError, EXIT_REFUSED, EXIT_USAGE } from "../../server/cli/errors";
import { GethMissingError } from "../../server/network/geth";
import { LocalNetwork, NetworkError } from "../../server/network/network";
import { step } from "./progress";

/**
 * Stage 0, the chain: the embedded Hardhat node or anvil (--node; its
 * development accounts play every role), an external chain named by a configuration file
 * (docs/besu/election.config.example.json) with a key file per account, or
 * the local permissioned network of `npm run network` (--network local,
 * docs/network.md), where every actor talks to a node of its own.
 */
export interface Accounts {
  commission: Hex;
  registrar: Hex;
  relays: Hex[];
  trustees: Hex[];
  observers: Hex[];
}

/** The node each actor sends to or reads from (all the same node but on the local network). */
export interface RoleEndpoints {
  commission: ChainEndpoint;
  trustees: ChainEndpoint;
  registrar: ChainEndpoint;
  relays: ChainEndpoint[];
  observers: ChainEndpoint[];
  audit: ChainEndpoint;
}

export interface Chain {
  /** The commission's node, from which the job itself reads the chain. */
  endpoint: ChainEndpoint;
  roles: RoleEndpoints;
  accounts: Accounts;
  /** Seconds from the election's creation to the opening, and the window's length (a real-time chain). */
  window: { opensIn: number; length: number } | null;
  /** Embedded chain: the clock can be moved; an external chain runs in real time. */
  moveClockTo: ((timestamp: number) => Promise<void>) | null;
  confirmations: number;
  node: LocalNode | null;
  /** The local network, when the job started it (it is stopped at the end). */
  network: LocalNetwork | null;
}

const sameEndpoint = (endpoint: ChainEndpoint): RoleEndpoints => ({
  commission: endpoint,
  trustees: endpoint,
  registrar: endpoint,
  relays: [endpoint, endpoint],
  observers: [endpoint, endpoint],
  audit: endpoint,
});

export async function openChain(
  configFile: string | null,
  networkDir: string | null = null,
  voters = 1000,
  embeddedNode: LocalNodeKind = "hardhat",
): Promise<Chain> {
  if (networkDir !== null) return openLocalNetwork(networkDir, voters);
  return configFile === null ? openEmbeddedChain(embeddedNode) : openExternalChain(configFile);
}

/** Clique needs confirmations: a block with 3 on top is not replaced unless 3 of the 4 signers collude. */
export const LOCAL_NETWORK_CONFIRMATIONS = 3;

/**
 * The local network (started, and created in `dir` the first time, when it
 * is not running): the registrar and each relay send to a validator of their
 * own (the relays fail over to the other validators), the commission and the
 * trustees to the fourth, each observer reads its own node, the audit the
 * audit node. The window is real time: it opens three minutes after the
 * election is created (the key ceremony and the registrar keys must be on
 * chain before) and lasts five minutes, or 0.6 s a voter for more than 500.
 */
async function openLocalNetwork(dir: string, voters: number): Promise<Chain> {
  let network: LocalNetwork;
  let started = false;
  try {
    network = LocalNetwork.exists(dir) ? LocalNetwork.open(dir) : await LocalNetwork.create(dir);
    if (!network.nodes.every((n) => n.running())) {
      step(`starting the local network in ${dir} (${network.layout.client})`);
      await network.start();
      started = true;
    }
  } catch (error) {
    if (error instanceof GethMissingError || error instanceof NetworkError)
      throw new CliError(error.message, EXIT_REFUSED);
    throw error;
  }
  step(
    `local network: chain ${network.layout.chainId}, ${network.nodes.length} nodes, ${LOCAL_NETWORK_CONFIRMATIONS} confirmations`,
  );
  // Voters vote end to end at 2 to 5 a second here (credential, ballot, 12 at a time): 0.6 s a voter, 5 minutes at least.
  const length = Math.max(300, Math.ceil(voters * 0.6));
  return { ...localNetworkChain(network, { opensIn: 180, length }), network: started ? network : null };
}

/** The roles of the main job on a running local network (also the network tests' election). */
export function localNetworkChain(network: LocalNetwork, window: { opensIn: number; length: number }): Chain {
  const chainId = network.layout.chainId;
  const at = (name: string, fallbacks: string[] = []): ChainEndpoint => ({
    rpcUrl: network.node(name).rpcUrl,
    chainId,
    fallbackUrls: fallbacks.map((n) => network.node(n).rpcUrl),
  });
  const key = (name: string) => network.accountKey(name);
  return {
    endpoint: at("validator-4"),
    roles: {
      commission: at("validator-4"),
      trustees: at("validator-4"),
      registrar: at("validator-1"),
      relays: [
        at("validator-2", ["validator-3", "validator-1"]),
        at("validator-3", ["validator-2", "validator-4"]),
      ],
      observers: [at("observer-1"), at("observer-2")],
      audit: at("audit"),
    },
    node: null,
    network: null,
    confirmations: LOCAL_NETWORK_CONFIRMATIONS,
    window,
    accounts: {
      commission: key("commission"),
      registrar: key("registrar"),
      relays: [key("relay-1"), key("relay-2")],
      trustees: [1, 2, 3, 4, 5].map((i) => key(`trustee-${i}`)),
      observers: [key("observer-1"), key("observer-2")],
    },
    moveClockTo: null,
  };
}

async function openEmbeddedChain(kind: LocalNodeKind): Promise<Chain> {
  step(`starting the embedded chain (${kind === "hardhat" ? "Hardhat's node" : "anvil"})`);
  const node = await startLocalNode({ kind });
  const keys = node.privateKeys;
  const endpoint = { rpcUrl: node.rpcUrl, chainId: node.chainId };
  const client = publicClientFor(endpoint);
  return {
    endpoint,
    roles: sameEndpoint(endpoint),
    node,
    network: null,
    window: null,
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
  return {
    endpoint,
    roles: sameEndpoint(endpoint),
    node: null,
    network: null,
    window: { opensIn: 120, length: 600 },
    confirmations: config.confirmations,
    accounts,
    moveClockTo: null,
  };
}

/** Waits until the head has grown by `chain.confirmations` blocks: what was just sent is settled. */
export async function settle(chain: Chain, client: ChainPublicClient): Promise<void> {
  if (chain.confirmations === 0) return;
  const target = (await client.getBlockNumber({ cacheTime: 0 })) + BigInt(chain.confirmations);
  while ((await client.getBlockNumber({ cacheTime: 0 })) < target)
    await new Promise((resolve) => setTimeout(resolve, 250));
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
