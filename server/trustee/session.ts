import type { Address } from "viem";
import {
  connect,
  publicClientFor,
  walletClientFor,
  type AccountWalletClient,
  type ChainEndpoint,
} from "../chain/clients";
import { PHASE_NAMES, type ChainPublicClient } from "../chain/deploy";
import { electionAbi } from "../chain/generated/abis";
import { StepRefusal } from "./errors";
import type { TrusteeKeystore } from "./keystore";

/**
 * A trustee at work: its opened key file and chain clients for the election
 * the key file belongs to (the chain id is checked against the key file).
 */
export interface TrusteeSession {
  keystore: TrusteeKeystore;
  endpoint: ChainEndpoint;
  client: ChainPublicClient;
  wallet: AccountWalletClient;
  election: Address;
}

export async function openTrusteeSession(rpcUrl: string, keystore: TrusteeKeystore): Promise<TrusteeSession> {
  const endpoint = await connect(rpcUrl);
  const { data } = keystore;
  if (BigInt(endpoint.chainId) !== data.chainId)
    throw new StepRefusal(
      "wrong-chain",
      `the node at ${rpcUrl} serves chain ${endpoint.chainId}, the key file belongs to chain ${data.chainId}`,
    );
  return {
    keystore,
    endpoint,
    client: publicClientFor(endpoint),
    wallet: walletClientFor(endpoint, data.accountKey),
    election: data.election,
  };
}

export type PhaseName = (typeof PHASE_NAMES)[number];

/** The election's phase now (Voting and Tallying follow from the block time). */
export async function currentPhase(client: ChainPublicClient, election: Address): Promise<PhaseName> {
  const phase = await client.readContract({ address: election, abi: electionAbi, functionName: "phase" });
  const name = PHASE_NAMES[phase];
  if (name === undefined) throw new Error(`the election reports an unknown phase ${phase}`);
  return name;
}

/** Fails clearly when no Election contract answers at the address. */
export async function requireElection(client: ChainPublicClient, election: Address): Promise<void> {
  const code = await client.getCode({ address: election });
  if (code === undefined || code === "0x")
    throw new StepRefusal("wrong-election", `no contract at ${election} on this chain`);
  try {
    await client.readContract({ address: election, abi: electionAbi, functionName: "manifestHash" });
  } catch {
    throw new StepRefusal("wrong-election", `the contract at ${election} is not an Election`);
  }
}
