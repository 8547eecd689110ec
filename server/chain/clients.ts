import {
  createPublicClient,
  createWalletClient,
  defineChain,
  http,
  type Account,
  type Chain,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";

/**
 * The only way services and tools reach the chain: standard JSON-RPC over HTTP
 * (no hardhat_* or anvil_* methods), so any EVM node works, including a
 * permissioned Besu network.
 */
export interface ChainEndpoint {
  rpcUrl: string;
  chainId: number;
}

export function chainOf(endpoint: ChainEndpoint): Chain {
  return defineChain({
    id: endpoint.chainId,
    name: `ballot-ledger-${endpoint.chainId}`,
    nativeCurrency: { name: "Ether", symbol: "ETH", decimals: 18 },
    rpcUrls: { default: { http: [endpoint.rpcUrl] } },
  });
}

export function publicClientFor(endpoint: ChainEndpoint): PublicClient<Transport, Chain> {
  return createPublicClient({
    chain: chainOf(endpoint),
    transport: http(endpoint.rpcUrl, { retryCount: 3 }),
  });
}

export type AccountWalletClient = WalletClient<Transport, Chain, Account>;

export function walletClientFor(endpoint: ChainEndpoint, privateKey: `0x${string}`): AccountWalletClient {
  return createWalletClient({
    account: privateKeyToAccount(privateKey),
    chain: chainOf(endpoint),
    transport: http(endpoint.rpcUrl, { retryCount: 3 }),
  });
}

/** Asks the node for its chain id, so a misconfigured endpoint fails early and clearly. */
export async function connect(rpcUrl: string): Promise<ChainEndpoint> {
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 1 }) });
  const chainId = await probe.getChainId();
  return { rpcUrl, chainId };
}
