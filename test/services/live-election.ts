/**
 * A live election on a local Hardhat node for the service tests, built by the
 * one live-election builder (test/chain/election-flow.ts setUpElection:
 * factory, election from a manifest, a real key ceremony through the
 * contract, registrar keys on chain, relay roles), with the clock moved into
 * the voting window.
 */
import type { Address, Hex } from "viem";
import type { AccountWalletClient, ChainEndpoint } from "../../server/chain/clients";
import type { ChainPublicClient } from "../../server/chain/deploy";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import type { ElectionContext } from "../../server/protocol/context";
import type { RegistrarKeyPair } from "../../server/protocol/credential-issuer";
import { parseManifest, type Manifest } from "../../server/protocol/manifest";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { setUpElection } from "../chain/election-flow";
import { buildManifest } from "../protocol/fixtures";

export interface LiveElection {
  node: LocalNode;
  endpoint: ChainEndpoint;
  client: ChainPublicClient;
  commission: AccountWalletClient;
  election: Address;
  manifest: Manifest;
  context: ElectionContext;
  registrarAccountKey: Hex;
  relayAccountKeys: Hex[];
  /** Private keys of funded accounts nobody else uses (for extra relays or outsiders). */
  spareAccountKeys: Hex[];
  registrarKeys: Map<number, RegistrarKeyPair>;
  /** Moves the chain clock by `seconds` and mines a block. */
  advance(seconds: number): Promise<void>;
  /** Moves the chain clock past closesAt. */
  closeVoting(): Promise<void>;
  stop(): Promise<void>;
}

export interface LiveElectionOptions {
  revotePolicy?: "none" | "last-ballot-counts";
  /** Ballot styles: each lists contest ids of the two-contest manifest. */
  styles?: string[][];
  trustees?: { count: number; threshold: number };
  relays?: number;
  /** Stop before opening the window (the election is Ready). */
  open?: boolean;
}

export function liveManifest(options: LiveElectionOptions, opensAt: number): Manifest {
  const base = buildManifest(
    [
      { id: "party-list", options: 5, min: 1, max: 1 },
      { id: "council", options: 4, min: 0, max: 2 },
    ],
    options.styles ?? [["party-list"], ["party-list", "council"]],
    options.trustees ?? { count: 3, threshold: 2 },
  );
  const parsed = parseManifest({
    ...base,
    votingWindow: { opensAt, closesAt: opensAt + 3 * 86_400 },
    revotePolicy: options.revotePolicy ?? "last-ballot-counts",
  });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.manifest;
}

export async function startLiveElection(options: LiveElectionOptions = {}): Promise<LiveElection> {
  await initCrypto();
  const node = await startLocalNode({ kind: "hardhat" });
  try {
    const relayCount = options.relays ?? 2;
    const e = await setUpElection(node, (opensAt) => liveManifest(options, opensAt), { relays: relayCount });
    const { client, manifest } = e;
    const advance = async (seconds: number) => {
      await client.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
      await client.request({ method: "evm_mine" as never, params: [] as never });
    };
    if (options.open ?? true) await advance(3601);
    return {
      node,
      endpoint: e.endpoint,
      client,
      commission: e.commission,
      election: e.election,
      manifest,
      context: e.context,
      registrarAccountKey: node.privateKeys[1],
      relayAccountKeys: node.privateKeys.slice(2, 2 + relayCount),
      spareAccountKeys: e.spareAccountKeys,
      registrarKeys: new Map(e.registrarKeys.map((key, style) => [style, key])),
      advance,
      closeVoting: async () => {
        const block = await client.getBlock();
        await advance(manifest.votingWindow.closesAt - Number(block.timestamp) + 1);
      },
      stop: () => node.stop(),
    };
  } catch (error) {
    await node.stop();
    throw error;
  }
}
