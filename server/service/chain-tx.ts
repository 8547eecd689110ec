import { BaseError, ContractFunctionRevertedError, type Address } from "viem";
import type { ChainPublicClient } from "../chain/deploy";

/**
 * Transaction plumbing shared by the registrar and the relay, on top of the
 * clients of server/chain: the custom error name of a refused call, and a
 * local nonce counter so that one account can have several transactions in
 * flight (standard JSON-RPC only).
 */

/** The contract's custom error name in a viem error (e.g. "AlreadyIssued"), or null. */
export function revertErrorName(error: unknown): string | null {
  if (!(error instanceof BaseError)) return null;
  const reverted = error.walk((e) => e instanceof ContractFunctionRevertedError);
  if (reverted instanceof ContractFunctionRevertedError) return reverted.data?.errorName ?? null;
  return null;
}

/** A message fit for a log line: viem's short message when there is one. */
export const errorMessage = (error: unknown): string =>
  error instanceof BaseError ? error.shortMessage : error instanceof Error ? error.message : String(error);

/** True when a node refused a transaction because its nonce is already used or known. */
export function isNonceConsumedError(error: unknown): boolean {
  const text = `${errorMessage(error)} ${error instanceof Error ? error.message : ""}`.toLowerCase();
  return /nonce too low|nonce has already been used|already known|known transaction|replacement transaction underpriced|nonce is too low/.test(
    text,
  );
}

/**
 * Hands out consecutive nonces for one account. The first call (and the first
 * after reset) reads the pending transaction count from the node.
 */
export class NonceCounter {
  private next: number | null = null;
  private loading: Promise<number> | null = null;

  constructor(
    private readonly client: ChainPublicClient,
    private readonly address: Address,
  ) {}

  async take(): Promise<number> {
    if (this.next === null) {
      this.loading ??= this.client.getTransactionCount({ address: this.address, blockTag: "pending" });
      try {
        const loaded = await this.loading;
        if (this.next === null) this.next = loaded;
      } finally {
        this.loading = null;
      }
    }
    return this.next!++;
  }

  /** Forget the local count (after a nonce error): the next take() asks the node again. */
  reset(): void {
    this.next = null;
  }
}

/** Runs async tasks one at a time per key (a per-voter or per-account critical section). */
export class KeyedMutex {
  private readonly tails = new Map<string, Promise<unknown>>();

  run<T>(key: string, task: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    const result = previous.then(task, task);
    const tail = result.then(
      () => undefined,
      () => undefined,
    );
    this.tails.set(key, tail);
    void tail.then(() => {
      if (this.tails.get(key) === tail) this.tails.delete(key);
    });
    return result;
  }
}

/**
 * A chain read shared by every caller for `ttlMs` (and by concurrent callers
 * while it runs): a route that anyone may call, such as /health, must not
 * cost one RPC call per request. A failed read is not cached.
 */
export function cachedRead<T>(read: () => Promise<T>, ttlMs: number): () => Promise<T> {
  let cached: { at: number; value: Promise<T> } | null = null;
  return () => {
    if (cached !== null && Date.now() - cached.at < ttlMs) return cached.value;
    const entry = { at: Date.now(), value: read() };
    cached = entry;
    entry.value.catch(() => {
      if (cached === entry) cached = null;
    });
    return entry.value;
  };
}
