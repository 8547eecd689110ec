import {
  createPublicClient,
  createWalletClient,
  defineChain,
  fallback,
  http,
  parseSignature,
  serializeTransaction,
  type Account,
  type Chain,
  type Hex,
  type LocalAccount,
  type SerializeTransactionFn,
  type TransactionSerializable,
  type PublicClient,
  type Transport,
  type WalletClient,
} from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { nativeSecp256k1 } from "../protocol/primitives/backend";
import { hexToBytes, toHex } from "../protocol/primitives/bytes";

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
    account: signingAccount(privateKey),
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

/**
 * A private key as a viem LocalAccount whose digest signatures (the relay's
 * receipts) and transaction signatures (a relay's castBallots batch has about
 * 1.3 KB of calldata per ballot to hash) run on the native core when it is
 * active (keccak256, then k256: RFC 6979, low s; the same bytes as viem's,
 * test/protocol/backend.test.ts), else viem's. Messages and typed data stay
 * viem's. Active only after initCrypto(): before, this is viem's account.
 */
export function signingAccount(privateKey: Hex): LocalAccount {
  const account = privateKeyToAccount(privateKey);
  const native = nativeSecp256k1();
  if (native === null) return account;
  const keyBytes = hexToBytes(privateKey);
  const signDigest = (digest: Uint8Array) => toHex(native.signDigest(keyBytes, digest));
  return {
    ...account,
    sign: async ({ hash }) => signDigest(hexToBytes(hash)),
    // As viem's signTransaction (accounts/utils/signTransaction.ts): sign the hash of the serialized
    // transaction, then serialize it with the signature. Blob sidecars are never signed over.
    signTransaction: (async (
      transaction: TransactionSerializable,
      options?: { serializer?: SerializeTransactionFn<TransactionSerializable> },
    ) => {
      const serializer = options?.serializer ?? serializeTransaction;
      if (transaction.type === "eip4844") return account.signTransaction(transaction, { serializer });
      const digest = native.keccak256(hexToBytes(await serializer(transaction)));
      return serializer(transaction, parseSignature(signDigest(digest)));
    }) as LocalAccount["signTransaction"],
  };
}
