import {
  createPublicClient,
  createWalletClient,
  defineChain,
  fallback,
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
  /**
   * Further endpoints of the same chain (other nodes), tried in order when a
   * request to the one before fails: a service keeps working when its node
   * dies (docs/network.md, "Failover").
   */
  fallbackUrls?: readonly string[];
}

/** HTTP to rpcUrl, or viem's fallback transport over rpcUrl and the fallback URLs. */
function transportOf(endpoint: ChainEndpoint): Transport {
  const urls = [endpoint.rpcUrl, ...(endpoint.fallbackUrls ?? [])];
  if (urls.length === 1) return http(endpoint.rpcUrl, { retryCount: 3 });
  return fallback(
    urls.map((url) => http(url, { retryCount: 1, timeout: 10_000 })),
    { retryCount: 2 },
  );
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
    transport: transportOf(endpoint),
  });
}

export type AccountWalletClient = WalletClient<Transport, Chain, Account>;

export function walletClientFor(endpoint: ChainEndpoint, privateKey: `0x${string}`): AccountWalletClient {
  return createWalletClient({
    account: privateKeyToAccount(privateKey),
    chain: chainOf(endpoint),
    transport: transportOf(endpoint),
  });
}

/** Asks the node for its chain id, so a misconfigured endpoint fails early and clearly. */
export async function connect(rpcUrl: string): Promise<ChainEndpoint> {
  const probe = createPublicClient({ transport: http(rpcUrl, { retryCount: 1 }) });
  const chainId = await probe.getChainId();
  return { rpcUrl, chainId };
}
