import type { Logger } from "pino";
import {
  encodeFunctionData,
  TransactionReceiptNotFoundError,
  WaitForTransactionReceiptTimeoutError,
  type Address,
  type Hex,
  type TransactionReceipt,
} from "viem";
import type { AccountWalletClient } from "../chain/clients";
import { castOutcomeFromReceipt, type ChainPublicClient } from "../chain/deploy";
import { electionAbi } from "../chain/generated/abis";
import { hexToBytes, toHex } from "../protocol/primitives/bytes";
import { keccak256Bytes } from "../protocol/primitives/hash";
import { ENGINE_LIMITS } from "../network/params";
import { errorMessage, isNonceConsumedError, NonceCounter, revertErrorName } from "../service/chain-tx";
import type { ChainFollower } from "./chain-follower";
import type { BallotQueue, BallotSettlement, QueuedBallot, SentBatch } from "./queue";

/**
 * Moves queued ballots onto the chain in castBallots batches, one
 * transaction at a time, with its own nonces:
 *
 *   take up to maxBatch queued ballots (when maxBatch are waiting, or the
 *   oldest has waited maxWaitMs) -> sign the transaction locally -> store its
 *   raw bytes and mark the ballots `sent` (one SQLite transaction) ->
 *   broadcast -> wait for the receipt -> settle every position: BallotCast
 *   -> on-chain; BallotRejected -> rejected with the contract's reason, except
 *   when the chain already holds this very ballot (a resubmission) -> on-chain.
 *
 * Because the raw transaction is stored before it is broadcast, a restart
 * (after kill -9 at any point) reconciles exactly: for every batch still
 * `sent`, the receipt of its hash, else the same raw bytes broadcast again
 * (idempotent), else, when its nonce was taken by something else, a per-ballot
 * search of BallotCast events; a ballot not found is queued again. The
 * contract refuses a nullifier's sequence twice, so nothing is recorded twice.
 *
 * Engine limits (docs/network.md): a batch is cut to fit the node's limit on
 * a transaction's size (go-ethereum keeps none above 128 KiB) and the block
 * gas limit read from the chain, whatever maxBatch says; one transaction is
 * in flight at a time (paced nonces), so the account never nears a pool's
 * per-sender limit. On a chain that can reorganise (Clique) a batch is
 * settled only once its block has `confirmations` blocks on top and is still
 * on the chain; a receipt that disappears sends the same raw bytes again.
 * The client may carry several endpoints (ChainEndpoint.fallbackUrls): the
 * stored raw transaction goes to whichever node answers.
 *
 * Batching by size and by time: a batch goes when maxBatch ballots wait, or
 * when the oldest queued ballot has waited maxWaitMs (default
 * DEFAULT_MAX_WAIT_MS, two blocks of a 1-second chain). A ballot's base cost
 * is about 54,000 gas and each transaction adds about 39,000 (docs/contracts.md),
 * so a relay taking a few ballots a second must wait seconds, not
 * milliseconds, for its batches to be full. The wait costs the voter
 * nothing: the receipt is signed at acceptance (queued durably), not at
 * inclusion, and a ballot is on chain within maxWaitMs plus one block.
 */
export interface SubmitterOptions {
  client: ChainPublicClient;
  wallet: AccountWalletClient;
  election: Address;
  queue: BallotQueue;
  follower: ChainFollower;
  logger: Logger;
  /** Ballots per transaction, 1..200; default 100. */
  maxBatch?: number;
  /** Longest wait (ms) of a queued ballot before a partial batch is sent; default DEFAULT_MAX_WAIT_MS. */
  maxWaitMs?: number;
  /** Receipt polling interval (ms); default 100. */
  pollingIntervalMs?: number;
  /** How long to wait for a receipt before broadcasting the same transaction again; default 60 s. */
  receiptTimeoutMs?: number;
  /** Blocks on top of a batch's block before it is settled; default 0 (a final chain). */
  confirmations?: number;
  /** Largest signed transaction the nodes accept, bytes; default 128 KiB (go-ethereum's txpool). */
  maxTransactionBytes?: number;
  /** Resolves when the latest commits are on disk (fsync): a batch is stored durably before it is broadcast. */
  durable?: () => Promise<void>;
  /** Called after each settled batch (metrics). */
  onSettled?: (settled: { onChain: number; rejected: number; requeued: number }) => void;
  /**
   * Fault injection for the crash tests: kill the process (SIGKILL) right
   * after the batch is stored as sent, or right after it is broadcast.
   */
  crashPoint?: "after-mark-sent" | "after-broadcast";
}

/**
 * The default longest wait of a queued ballot, ms: on a chain sealing a block
 * a second, at most two blocks later than at once.
 */
export const DEFAULT_MAX_WAIT_MS = 2_000;

/** The contract's per-ballot reasons that may mean "this very ballot is already on chain". */
const ALREADY_RECORDED_REASONS = new Set(["SequenceNotHigher", "RevoteNotAllowed"]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The calldata of castBallots for a batch. */
function castBallotsData(ballots: readonly QueuedBallot[]): Hex {
  return encodeFunctionData({
    abi: electionAbi,
    functionName: "castBallots",
    args: [ballots.map((b) => ({ ballot: toHex(b.ballot), sequence: b.sequence, signature: b.signature }))],
  });
}

/** Gas for a batch: base plus, per ballot, its calldata at 16 gas a byte and the contract's work. */
export function batchGas(ballots: readonly { ballot: Uint8Array }[]): bigint {
  let gas = 120_000n;
  for (const b of ballots) gas += 16n * BigInt(b.ballot.length + 320) + 60_000n;
  return gas;
}

export class Submitter {
  private readonly nonces: NonceCounter;
  private running = false;
  private loop: Promise<void> | null = null;
  private wake: (() => void) | null = null;
  private lastError: string | null = null;
  private readonly maxBatch: number;
  private readonly maxWaitMs: number;

  constructor(private readonly options: SubmitterOptions) {
    this.nonces = new NonceCounter(options.client, options.wallet.account.address);
    this.maxBatch = Math.min(200, Math.max(1, options.maxBatch ?? 100));
    this.maxWaitMs = options.maxWaitMs ?? DEFAULT_MAX_WAIT_MS;
  }

  get health(): { running: boolean; lastError: string | null } {
    return { running: this.running, lastError: this.lastError };
  }

  /** Reconciles what a previous run left `sent`, then starts the loop. */
  async start(): Promise<void> {
    await this.reconcile();
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake?.();
    await this.loop;
  }

  /** A ballot was queued: the loop may have a batch to send. */
  notify(): void {
    this.wake?.();
  }

  private async run(): Promise<void> {
    let backoff = 250;
    while (this.running) {
      const unsettled = this.options.queue.sentBatches();
      if (unsettled.length > 0) {
        // A batch whose broadcast or receipt failed earlier: finish it first, so nonces stay in order.
        try {
          await this.settleBatch(unsettled[0], false);
          backoff = 250;
        } catch (error) {
          this.lastError = errorMessage(error);
          this.options.logger.warn({ error: this.lastError }, "submitter: settling a batch failed; retrying");
          await this.idle(backoff);
          backoff = Math.min(backoff * 2, 10_000);
        }
        continue;
      }
      const head = this.options.queue.queueHead();
      if (head.count > 0 && (await this.windowShut())) {
        await this.idle(1_000);
        continue;
      }
      const waited = head.oldestAcceptedAt === null ? 0 : Date.now() - head.oldestAcceptedAt;
      if (head.count === 0 || (head.count < this.maxBatch && waited < this.maxWaitMs)) {
        await this.idle(Math.min(1_000, head.count === 0 ? 1_000 : this.maxWaitMs - waited));
        continue;
      }
      try {
        const { ballots, data } = await this.fitBatch(this.options.queue.queued(this.maxBatch));
        await this.submit(ballots, data);
        this.lastError = null;
        backoff = 250;
      } catch (error) {
        this.lastError = errorMessage(error);
        this.options.logger.warn({ error: this.lastError }, "submitter: batch failed; retrying");
        await this.idle(backoff);
        backoff = Math.min(backoff * 2, 10_000);
      }
    }
  }

  private idle(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, Math.max(1, ms));
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wake = () => {
        this.wake = null;
        done();
      };
    });
  }

  /**
   * The longest prefix of `ballots` whose transaction fits the size limit
   * (with 1 KiB for the signed envelope) and whose gas fits the block gas
   * limit; the rest stays queued for the next batch.
   */
  private async fitBatch(ballots: QueuedBallot[]): Promise<{ ballots: QueuedBallot[]; data: Hex }> {
    const maxBytes = (this.options.maxTransactionBytes ?? ENGINE_LIMITS.maxTransactionBytes) - 1024;
    const { gasLimit } = await this.options.client.getBlock({ blockTag: "latest" });
    let count = ballots.length;
    let data = castBallotsData(ballots);
    while (count > 1) {
      const bytes = (data.length - 2) / 2;
      const gas = batchGas(ballots.slice(0, count));
      if (bytes <= maxBytes && gas <= gasLimit) break;
      count = Math.max(1, Math.min(count - 1, Math.floor((count * maxBytes) / bytes)));
      data = castBallotsData(ballots.slice(0, count));
    }
    return { ballots: ballots.slice(0, count), data };
  }

  /** Signs, stores, broadcasts and settles one batch. */
  private async submit(ballots: QueuedBallot[], data: Hex): Promise<void> {
    const { wallet, election, queue, logger } = this.options;
    const nonce = await this.nonces.take();
    let rawTransaction: Hex;
    try {
      const prepared = await wallet.prepareTransactionRequest({
        to: election,
        data,
        gas: batchGas(ballots),
        nonce,
        chain: wallet.chain,
        account: wallet.account,
      });
      rawTransaction = await wallet.signTransaction(prepared);
    } catch (error) {
      this.nonces.reset();
      throw error;
    }
    const transactionHash = toHex(keccak256Bytes(hexToBytes(rawTransaction)));
    const batchId = queue.markSent(
      ballots.map((b) => b.id),
      { nonce, transactionHash, rawTransaction },
    );
    await this.options.durable?.();
    if (this.options.crashPoint === "after-mark-sent") process.kill(process.pid, "SIGKILL");
    logger.debug(
      { batchId, nonce, size: ballots.length, tx: transactionHash },
      "submitter: batch signed and stored",
    );
    await this.settleBatch({ id: batchId, nonce, transactionHash, rawTransaction, ballots }, true);
  }

  /**
   * Brings a stored batch to a final state: broadcast (again) if needed, wait
   * for its receipt, settle its ballots. Used for new batches and on restart.
   */
  private async settleBatch(batch: SentBatch, fresh: boolean): Promise<void> {
    const { client, queue, logger } = this.options;
    let receipt = fresh ? null : await this.receiptOf(batch.transactionHash);
    if (receipt !== null) receipt = await this.confirmed(receipt);
    while (receipt === null) {
      const broadcast = await this.broadcast(batch.rawTransaction);
      if (this.options.crashPoint === "after-broadcast" && fresh) process.kill(process.pid, "SIGKILL");
      if (broadcast === "nonce-taken") {
        receipt = await this.receiptOf(batch.transactionHash);
        if (receipt !== null) receipt = await this.confirmed(receipt);
        if (receipt !== null) break;
        // Our transaction can no longer be mined: find each ballot on chain, queue the rest again.
        this.nonces.reset();
        logger.warn(
          { batchId: batch.id, nonce: batch.nonce },
          "submitter: batch nonce used elsewhere; reconciling",
        );
        const settlements: BallotSettlement[] = [];
        for (const b of batch.ballots) {
          const cast = await this.options.follower.findCast(b.nullifier, b.sequence, b.ballotHash);
          settlements.push(
            cast === null ? { id: b.id, outcome: "requeue" } : { id: b.id, outcome: "on-chain", ...cast },
          );
        }
        queue.settle(batch.id, "dropped", null, settlements);
        this.report(settlements);
        return;
      }
      try {
        receipt = await client.waitForTransactionReceipt({
          hash: batch.transactionHash,
          pollingInterval: this.options.pollingIntervalMs ?? 100,
          timeout: this.options.receiptTimeoutMs ?? 60_000,
        });
      } catch (error) {
        if (!(error instanceof WaitForTransactionReceiptTimeoutError)) throw error;
        logger.warn({ tx: batch.transactionHash }, "submitter: no receipt yet; broadcasting again");
      }
      if (receipt !== null) receipt = await this.confirmed(receipt);
    }
    await this.applyReceipt(batch, receipt);
  }

  /**
   * The receipt once its block has `confirmations` blocks on top, or null
   * when that block was replaced meanwhile (the transaction is then sent again).
   */
  private async confirmed(receipt: TransactionReceipt): Promise<TransactionReceipt | null> {
    const confirmations = BigInt(this.options.confirmations ?? 0);
    if (confirmations === 0n) return receipt;
    const { client, logger } = this.options;
    const deadline = Date.now() + (this.options.receiptTimeoutMs ?? 60_000);
    while ((await client.getBlockNumber({ cacheTime: 0 })) < receipt.blockNumber + confirmations) {
      if (Date.now() > deadline) return null;
      await sleep(this.options.pollingIntervalMs ?? 100);
    }
    const now = await this.receiptOf(receipt.transactionHash);
    if (now !== null && now.blockHash === receipt.blockHash) return now;
    logger.warn(
      { tx: receipt.transactionHash, block: receipt.blockNumber.toString() },
      "submitter: the batch's block was replaced (reorganisation); sending it again",
    );
    return null;
  }

  private async receiptOf(hash: Hex): Promise<TransactionReceipt | null> {
    try {
      return await this.options.client.getTransactionReceipt({ hash });
    } catch (error) {
      if (error instanceof TransactionReceiptNotFoundError) return null;
      throw error;
    }
  }

  /** Sends raw bytes; "sent" also when the node already knows them. Retries network failures. */
  private async broadcast(raw: Hex): Promise<"sent" | "nonce-taken"> {
    for (let attempt = 0; ; attempt++) {
      try {
        await this.options.client.sendRawTransaction({ serializedTransaction: raw });
        return "sent";
      } catch (error) {
        const text = errorMessage(error).toLowerCase();
        if (/already known|known transaction/.test(text)) return "sent";
        if (isNonceConsumedError(error)) return "nonce-taken";
        if (attempt >= 5) throw error;
        await sleep(200 * 2 ** attempt);
      }
    }
  }

  private async applyReceipt(batch: SentBatch, receipt: TransactionReceipt): Promise<void> {
    const { queue, election, logger } = this.options;
    if (receipt.status !== "success") {
      // A batch-level fault (window closed, paused, role revoked): nothing of it was recorded.
      const reason = await this.batchRevertReason(batch);
      await this.options.follower.sync().catch(() => undefined);
      const giveUp = this.options.follower.isClosed();
      const settlements: BallotSettlement[] = batch.ballots.map((b) =>
        giveUp
          ? { id: b.id, outcome: "rejected", reason: "voting-closed" }
          : { id: b.id, outcome: "requeue" },
      );
      queue.settle(batch.id, "mined", receipt.blockNumber, settlements);
      logger.warn({ tx: receipt.transactionHash, reason, giveUp }, "submitter: batch reverted");
      this.report(settlements);
      if (!giveUp) throw new Error(`castBallots reverted: ${reason ?? "unknown reason"}`);
      return;
    }
    const outcome = castOutcomeFromReceipt(receipt, election);
    const settlements: BallotSettlement[] = [];
    const rejectedAt = new Map(outcome.rejected.map((r) => [r.position, r]));
    for (const [position, b] of batch.ballots.entries()) {
      const rejection = rejectedAt.get(position);
      if (rejection === undefined) {
        settlements.push({
          id: b.id,
          outcome: "on-chain",
          transactionHash: receipt.transactionHash,
          blockNumber: receipt.blockNumber,
        });
        continue;
      }
      const earlier = ALREADY_RECORDED_REASONS.has(rejection.reasonName)
        ? await this.options.follower.findCast(b.nullifier, b.sequence, b.ballotHash)
        : null;
      settlements.push(
        earlier !== null
          ? { id: b.id, outcome: "on-chain", ...earlier }
          : { id: b.id, outcome: "rejected", reason: rejection.reasonName },
      );
    }
    if (outcome.accepted.length + outcome.rejected.length !== batch.ballots.length)
      logger.error(
        { tx: receipt.transactionHash },
        "submitter: receipt does not account for every ballot of the batch",
      );
    queue.settle(batch.id, "mined", receipt.blockNumber, settlements);
    logger.info(
      {
        tx: receipt.transactionHash,
        block: receipt.blockNumber.toString(),
        size: batch.ballots.length,
        rejected: outcome.rejected.length,
        gasUsed: receipt.gasUsed.toString(),
      },
      "submitter: batch mined",
    );
    this.report(settlements);
  }

  /**
   * True when nothing can be cast now: paused (wait), or the window is over,
   * as the chain itself confirms (an eth_call of the oldest queued ballot);
   * then every queued ballot is rejected as voting-closed.
   */
  private async windowShut(): Promise<boolean> {
    const { follower, queue, logger } = this.options;
    const window = follower.window();
    if (window.open || window.code === "voting-not-open") return false;
    if (window.code === "election-paused") return true;
    const [oldest] = queue.queued(1);
    const reason = oldest === undefined ? null : await this.batchRevertReason({ ballots: [oldest] });
    if (reason !== "OutsideVotingWindow" && reason !== "WrongPhase") return false;
    const rejected = queue.rejectAllQueued("voting-closed");
    logger.warn({ rejected }, "submitter: voting closed with ballots still queued; they are rejected");
    this.options.onSettled?.({ onChain: 0, rejected, requeued: 0 });
    return true;
  }

  /** The custom error a reverted batch would raise now (eth_call of the same batch). */
  private async batchRevertReason(batch: Pick<SentBatch, "ballots">): Promise<string | null> {
    const { client, wallet, election } = this.options;
    try {
      await client.simulateContract({
        account: wallet.account,
        address: election,
        abi: electionAbi,
        functionName: "castBallots",
        args: [
          batch.ballots.map((b) => ({
            ballot: toHex(b.ballot),
            sequence: b.sequence,
            signature: b.signature,
          })),
        ],
      });
      return null;
    } catch (error) {
      return revertErrorName(error) ?? errorMessage(error);
    }
  }

  private report(settlements: readonly BallotSettlement[]): void {
    const count = (outcome: BallotSettlement["outcome"]) =>
      settlements.filter((s) => s.outcome === outcome).length;
    this.options.onSettled?.({
      onChain: count("on-chain"),
      rejected: count("rejected"),
      requeued: count("requeue"),
    });
  }

  /** Settles every batch a previous run left `sent`, in nonce order. */
  async reconcile(): Promise<void> {
    const batches = this.options.queue.sentBatches();
    if (batches.length > 0)
      this.options.logger.info({ batches: batches.length }, "submitter: reconciling batches left in flight");
    for (const batch of batches) await this.settleBatch(batch, false);
    this.nonces.reset();
  }
}
