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
import type { LocalNode } from "../../server/chain/local-node";
import {
  dealShares,
  encodeTrusteeKeys,
  generateTrusteeSecret,
  jointPublicKey,
  trusteePublicKeys,
  type TrusteeSecret,
} from "../../server/protocol/ceremony";
import { seededNonceSource } from "../../server/protocol/ballot";
import { generateRegistrarKey, type RegistrarKeyPair } from "../../server/protocol/credential-issuer";
import type { ElectionContext } from "../../server/protocol/context";
import { manifestBytes, manifestHash, type Manifest } from "../../server/protocol/manifest";
import { buildManifest } from "../protocol/fixtures";

/**
 * An election on a local node, set up through standard JSON-RPC with the
 * protocol's own functions: factory, election, roles, a real key ceremony
 * and one registrar key per style. The one live-election builder of the
 * tests: chain-level tests call it directly, the service tests through
 * test/services/live-election.ts.
 */
export interface ElectionOnChain {
  endpoint: ChainEndpoint;
  client: ChainPublicClient;
  election: Address;
  commission: AccountWalletClient;
  registrar: AccountWalletClient;
  /** The first of `relays`. */
  relay: AccountWalletClient;
  relays: AccountWalletClient[];
  observer: AccountWalletClient;
  trustees: AccountWalletClient[];
  trusteeSecrets: TrusteeSecret[];
  registrarKeys: RegistrarKeyPair[];
  manifest: Manifest;
  context: ElectionContext;
  /** Private keys of funded accounts nobody else uses (extra relays, outsiders). */
  spareAccountKeys: Hex[];
}

export interface SetUpOptions {
  /** Accounts with the relay role; default 1. */
  relays?: number;
  /** Seed of every ceremony secret and nonce (seededNonceSource): the same ceremony on every node. Default: random. */
  seed?: string;
  /** The registrar's keys per style; default: fresh 2048-bit keys. */
  registrarKeys?: RegistrarKeyPair[];
}

/**
 * The two-style election of the chain-reader and precinct tests: a party list
 * (3 options) on every ballot, a district seat (2 options) on style 0's, 3
 * trustees of whom 2 decrypt, a three-day window from `opensAt`.
 */
export function districtElectionManifest(opensAt: number, extra: Partial<Manifest> = {}): Manifest {
  return {
    ...buildManifest(
      [
        { id: "party-list", options: 3, min: 1, max: 1 },
        { id: "district", options: 2, min: 1, max: 1 },
      ],
      [["party-list", "district"], ["party-list"]],
      { count: 3, threshold: 2 },
    ),
    votingWindow: { opensAt, closesAt: opensAt + 3 * 86_400 },
    ...extra,
  };
}

/**
 * Accounts: 0 commission, 1 registrar, 2 .. 2+r-1 the r relays, 2+r observer,
 * then the trustees, then the spare accounts (with one relay: 2 relay, 3
 * observer, 4.. trustees).
 */
export async function setUpElection(
  node: LocalNode,
  manifestOf: (opensAt: number) => Manifest,
  options: SetUpOptions = {},
): Promise<ElectionOnChain> {
  const endpoint = { rpcUrl: node.rpcUrl, chainId: node.chainId };
  const client = publicClientFor(endpoint);
  const wallets = node.privateKeys.map((key) => walletClientFor(endpoint, key));
  const relayCount = options.relays ?? 1;
  const [commission, registrar] = wallets;
  const relays = wallets.slice(2, 2 + relayCount);
  const observer = wallets[2 + relayCount];
  const now = Number((await client.getBlock()).timestamp);
  const manifest = manifestOf(now + 3600);
  const trustees = wallets.slice(3 + relayCount, 3 + relayCount + manifest.trustees.count);
  const spareAccountKeys = node.privateKeys.slice(3 + relayCount + manifest.trustees.count);
  const factory = await deployFactory(commission, client);
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
      trustees: trustees.map((w) => w.account.address),
      ballotStyleCount: manifest.ballotStyles.length,
      commission: commission.account.address,
    },
    manifestBytes(manifest),
  );
  for (const [role, wallet] of [
    ["REGISTRAR_ROLE", registrar],
    ...relays.map((relay) => ["RELAY_ROLE", relay] as const),
    ["OBSERVER_ROLE", observer],
  ] as const)
    await sendElectionTx(commission, client, election, "grantRole", [roleId(role), wallet.account.address]);

  const { ceremonyBase } = await loadElection(client, election);
  const nonces = (label: string) =>
    options.seed === undefined ? undefined : seededNonceSource(`${options.seed}/${label}`);
  const trusteeSecrets = trustees.map((_, i) =>
    generateTrusteeSecret(manifest.trustees.threshold, nonces(`trustee ${i + 1}`)),
  );
  const keys = trusteeSecrets.map((secret, i) =>
    trusteePublicKeys(ceremonyBase, i + 1, secret, nonces(`trustee ${i + 1} proofs`)),
  );
  for (const [i, wallet] of trustees.entries()) {
    const encoded = encodeTrusteeKeys(keys[i]);
    await sendElectionTx(wallet, client, election, "postTrusteeKeys", [
      toHex(encoded.commitments),
      toHex(encoded.proofs),
      toHex(encoded.boxKey),
    ]);
  }
  for (const [i, wallet] of trustees.entries())
    await sendElectionTx(wallet, client, election, "postShares", [
      toHex(dealShares(ceremonyBase, i + 1, trusteeSecrets[i], keys, nonces(`trustee ${i + 1} shares`))),
    ]);
  const jointKey: Hex = toHex(jointPublicKey(keys));
  for (const wallet of trustees)
    await sendElectionTx(wallet, client, election, "confirmJointKey", [jointKey]);

  const registrarKeys = options.registrarKeys ?? manifest.ballotStyles.map(() => generateRegistrarKey(2048));
  for (const [style, key] of registrarKeys.entries())
    await sendElectionTx(registrar, client, election, "setRegistrarKey", [style, toHex(key.modulus)]);
  const loaded = await loadElection(client, election);
  if (loaded.context === null)
    throw new Error(
      `the ceremony did not produce a context: ${JSON.stringify(loaded.record.ceremonyRounds).slice(0, 1500)}`,
    );
  return {
    endpoint,
    client,
    election,
    commission,
    registrar,
    relay: relays[0],
    relays,
    observer,
    trustees,
    trusteeSecrets,
    registrarKeys,
    manifest,
    context: loaded.context,
    spareAccountKeys,
  };
}

/** Moves the node's clock (tests only: evm_increaseTime and evm_mine exist on Hardhat's node and anvil). */
export async function advanceTimeTo(client: ChainPublicClient, timestamp: number): Promise<void> {
  const now = Number((await client.getBlock()).timestamp);
  if (timestamp > now)
    await client.request({ method: "evm_increaseTime" as never, params: [timestamp - now] as never });
  await client.request({ method: "evm_mine" as never, params: [] as never });
}
