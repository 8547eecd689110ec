/**
 * A live election on a local Hardhat node for the service tests: factory,
 * election from a manifest, a real key ceremony through the contract
 * (protocol ceremony functions), registrar keys on chain, relay roles, and
 * the clock moved into the voting window.
 */
import { toHex, type Address, type Hex } from "viem";
import {
  publicClientFor,
  walletClientFor,
  type AccountWalletClient,
  type ChainEndpoint,
} from "../../server/chain/clients";
import {
  createElection,
  deployFactory,
  roleId,
  RevotePolicy,
  type ChainPublicClient,
} from "../../server/chain/deploy";
import { loadElection, sendElectionTx } from "../../server/chain/election-reader";
import { startLocalNode, type LocalNode } from "../../server/chain/local-node";
import {
  dealShares,
  encodeTrusteeKeys,
  generateTrusteeSecret,
  jointPublicKey,
  trusteePublicKeys,
} from "../../server/protocol/ceremony";
import { ceremonyBaseHash, type ElectionContext } from "../../server/protocol/context";
import { generateRegistrarKey, type RegistrarKeyPair } from "../../server/protocol/credential-issuer";
import { manifestBytes, manifestHash, parseManifest, type Manifest } from "../../server/protocol/manifest";
import { initCrypto } from "../../server/protocol/primitives/sodium";
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
    const endpoint = { rpcUrl: node.rpcUrl, chainId: node.chainId };
    const client = publicClientFor(endpoint);
    const wallets = node.privateKeys.map((key) => walletClientFor(endpoint, key));
    const [commission, registrar] = wallets;
    const relayCount = options.relays ?? 2;
    const relayAccountKeys = node.privateKeys.slice(2, 2 + relayCount);
    const trustees = wallets.slice(2 + relayCount, 2 + relayCount + (options.trustees?.count ?? 3));
    const spareAccountKeys = node.privateKeys.slice(2 + relayCount + trustees.length);

    const factory = await deployFactory(commission, client);
    const now = Number((await client.getBlock()).timestamp);
    const manifest = liveManifest(options, now + 3600);
    const { election } = await createElection(
      commission,
      client,
      factory,
      {
        manifestHash: toHex(manifestHash(manifest)),
        opensAt: BigInt(manifest.votingWindow.opensAt),
        closesAt: BigInt(manifest.votingWindow.closesAt),
        revotePolicy: manifest.revotePolicy === "none" ? RevotePolicy.None : RevotePolicy.LastBallotCounts,
        threshold: manifest.trustees.threshold,
        trustees: trustees.map((t) => t.account.address),
        ballotStyleCount: manifest.ballotStyles.length,
        commission: commission.account.address,
      },
      manifestBytes(manifest),
    );
    const location = { chainId: BigInt(node.chainId), election };

    // The key ceremony, through the contract.
    const q0 = ceremonyBaseHash(location, manifest, 0);
    const secrets = trustees.map(() => generateTrusteeSecret(manifest.trustees.threshold));
    const keys = secrets.map((secret, i) => trusteePublicKeys(q0, i + 1, secret));
    for (const [i, trustee] of trustees.entries()) {
      const encoded = encodeTrusteeKeys(keys[i]);
      await sendElectionTx(trustee, client, election, "postTrusteeKeys", [
        toHex(encoded.commitments),
        toHex(encoded.proofs),
        toHex(encoded.boxKey),
      ]);
    }
    for (const [i, trustee] of trustees.entries())
      await sendElectionTx(trustee, client, election, "postShares", [
        toHex(dealShares(q0, i + 1, secrets[i], keys)),
      ]);
    const jointKey = toHex(jointPublicKey(keys));
    for (const trustee of trustees)
      await sendElectionTx(trustee, client, election, "confirmJointKey", [jointKey]);

    // Registrar and relays.
    await sendElectionTx(commission, client, election, "grantRole", [
      roleId("REGISTRAR_ROLE"),
      registrar.account.address,
    ]);
    for (const key of relayAccountKeys)
      await sendElectionTx(commission, client, election, "grantRole", [
        roleId("RELAY_ROLE"),
        walletClientFor(endpoint, key).account.address,
      ]);
    const registrarKeys = new Map<number, RegistrarKeyPair>();
    for (let style = 0; style < manifest.ballotStyles.length; style++) {
      const key = generateRegistrarKey(2048);
      registrarKeys.set(style, key);
      await sendElectionTx(registrar, client, election, "setRegistrarKey", [style, toHex(key.modulus)]);
    }

    const advance = async (seconds: number) => {
      await client.request({ method: "evm_increaseTime" as never, params: [seconds] as never });
      await client.request({ method: "evm_mine" as never, params: [] as never });
    };
    if (options.open ?? true) await advance(3601);
    const loaded = await loadElection(client, election);
    if (loaded.context === null) throw new Error("the ceremony did not produce a joint key");
    return {
      node,
      endpoint,
      client,
      commission,
      election,
      manifest,
      context: loaded.context,
      registrarAccountKey: node.privateKeys[1],
      relayAccountKeys,
      spareAccountKeys,
      registrarKeys,
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
