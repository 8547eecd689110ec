import type { Address, Hex } from "viem";
import type { Logger } from "pino";
import type { AccountWalletClient } from "../chain/clients";
import type { ChainPublicClient } from "../chain/deploy";
import { electionAbi } from "../chain/generated/abis";
import { findInLogPages } from "../chain/log-pages";
import { blindSign, type RegistrarKeyPair } from "../protocol/credential-issuer";
import { journalKey } from "../protocol/channel";
import { issuanceRequestHash } from "../protocol/issuance";
import { toHex } from "../protocol/primitives/bytes";
import { ApiError } from "../service/http";
import {
  errorMessage,
  isNonceConsumedError,
  KeyedMutex,
  NonceCounter,
  revertErrorName,
} from "../service/chain-tx";
import { GroupCommit } from "../service/group-commit";
import { AttemptGuard } from "./attempts";
import type { IssuanceJournal } from "./journal";
import { modulusHash } from "./keys";
import type { IdentityProvider } from "./roll";

/**
 * One credential per voter and election, crash-safe:
 *
 *  1. authenticate the voter (IdentityProvider) and check the blinded message;
 *  2. under a per-voter lock, look at the local journal and at the chain;
 *  3. if the chain has no issuance yet, hand (voterIdHash, style,
 *     keccak256(blinded)) to the journal batcher and wait: the issuances that
 *     arrive within a short window (IssuanceBatching) go on chain together in
 *     one recordIssuances transaction. The batch is simulated first; when it
 *     would revert, each entry is simulated alone, the ones the contract
 *     refuses are answered with their reason, and the rest is simulated and
 *     sent again. Just before the send, every entry is journaled `pending`
 *     (one SQLite transaction); once the receipt is in, `recorded`;
 *  4. only when the chain holds an issuance with THIS request hash, answer
 *     with blindSign(key, blinded) (deterministic, so a repeat gets the same
 *     answer). Another request hash on chain: 409 already-issued.
 *
 * A crash anywhere leaves either nothing on chain (the retry sends again) or
 * the chain's CredentialIssued event, which the retry finds and answers from.
 * The contract's batch is all or nothing, so a batch is either wholly on
 * chain or not at all.
 */
export interface IssuerDeps {
  client: ChainPublicClient;
  wallet: AccountWalletClient;
  election: Address;
  /** The election's creation block (where a search for its events starts). */
  creationBlock: bigint;
  identity: IdentityProvider;
  keys: ReadonlyMap<number, RegistrarKeyPair>;
  journal: IssuanceJournal;
  logger: Logger;
  /** Wrong-code limits; default: a guard with DEFAULT_ATTEMPT_POLICY. */
  attempts?: AttemptGuard;
  /** Blocks per eth_getLogs call when looking for an issuance; default LOG_PAGE_BLOCKS (server/chain/log-pages.ts). */
  logPageSize?: bigint;
  /** How issuances are grouped into recordIssuances transactions; default DEFAULT_ISSUANCE_BATCHING. */
  batching?: Partial<IssuanceBatching>;
  /** Called after each batch sent to the chain (metrics): its size on chain. */
  onBatch?: (size: number) => void;
  /**
   * Fault injection for the crash tests: kill the process (SIGKILL) right
   * after a batch is journaled pending, or right after its transaction is sent.
   */
  crashPoint?: "after-mark-pending" | "after-send";
}

/**
 * Grouping of issuances into recordIssuances transactions: a batch goes when
 * it holds maxSize entries or when its first entry has waited maxWaitMs.
 */
export interface IssuanceBatching {
  /** Entries per transaction, 1..MAX_ISSUANCE_BATCH. */
  maxSize: number;
  /** The longest an issuance waits for others before its batch goes (ms); 0: only those of the same turn. */
  maxWaitMs: number;
}

/** Election.MAX_ISSUANCE_BATCH: the contract refuses larger batches. */
export const MAX_ISSUANCE_BATCH = 200;

/**
 * Defaults for a chain sealing a block a second: a window of a fifth of a
 * block adds at most 200 ms to a sign-in (which waits about a block for its
 * transaction anyway), and at the design peak of docs/performance.md (57
 * sign-ins a second per registrar instance) gathers about 11 issuances a
 * transaction, 31,900 gas each instead of 66,700 alone (docs/contracts.md).
 * On a chain that mines each transaction at once (the embedded Hardhat node)
 * the window is latency only: 0 there.
 */
export const DEFAULT_ISSUANCE_BATCHING: IssuanceBatching = { maxSize: 100, maxWaitMs: 200 };

export interface IssueRequest {
  voterId: string;
  code: string;
  /** The style the voter blinded for; when given it must be the voter's. */
  style?: number;
  blindedMessage: Uint8Array;
}

export interface Issued {
  style: number;
  blindSignature: Hex;
  requestHash: Hex;
  voterIdHash: Hex;
  transactionHash: Hex;
  blockNumber: bigint;
}

interface ChainIssuance {
  style: number;
  requestHash: Hex;
  transactionHash: Hex;
  blockNumber: bigint;
}

/** One issuance waiting for its batch. */
interface JournalRequest {
  voterIdHash: Hex;
  style: number;
  requestHash: Hex;
}

/** What the batch gives each request: the chain's issuance for its voter, or the refusal. */
type JournalOutcome = { ok: true; issuance: ChainIssuance } | { ok: false; error: unknown };

const KEY_HASH_TTL_MS = 5_000;
/** Receipt polling (viem's default is 4 s: a voter would wait for it on every sign-in). */
const RECEIPT_POLL_MS = 200;
/** Sends tried when another sender (a second registrar process on this account) took the nonce. */
const SEND_ATTEMPTS = 8;
/** Simulate-and-send rounds of one batch whose transaction reverted after its simulation passed (a race). */
const BATCH_ATTEMPTS = 3;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Issuer {
  private readonly voterLocks = new KeyedMutex();
  private readonly sendLock = new KeyedMutex();
  private readonly nonces: NonceCounter;
  private readonly keyHashes = new Map<number, { hash: Hex; at: number }>();
  private readonly batches: GroupCommit<JournalRequest, JournalOutcome>;
  /** Wrong-code limits per source and per voter id (attempts.ts). */
  readonly attempts: AttemptGuard;

  constructor(private readonly deps: IssuerDeps) {
    this.nonces = new NonceCounter(deps.client, deps.wallet.account.address);
    this.attempts = deps.attempts ?? new AttemptGuard();
    const batching = { ...DEFAULT_ISSUANCE_BATCHING, ...deps.batching };
    if (!Number.isInteger(batching.maxSize) || batching.maxSize < 1 || batching.maxSize > MAX_ISSUANCE_BATCH)
      throw new Error(`issuance batches hold 1 to ${MAX_ISSUANCE_BATCH} entries, not ${batching.maxSize}`);
    this.batches = new GroupCommit((requests) => this.journalBatch(requests), {
      maxItems: batching.maxSize,
      maxWaitMs: batching.maxWaitMs,
    });
  }

  /** Issuances waiting for their batch to go (a gauge). */
  get waitingIssuances(): number {
    return this.batches.waiting;
  }

  /**
   * Authenticates; returns the voter's ballot style (the booth needs it before blinding).
   * `source` is the client (its IP): guessing is limited per source and per voter id.
   */
  async styleOf(voterId: string, code: string, source: string): Promise<number> {
    const admission = this.attempts.begin(voterId, source);
    if (!admission.ok)
      throw new ApiError(
        429,
        "too-many-attempts",
        admission.scope === "source"
          ? "too many wrong codes from this client; retry later"
          : "too many wrong codes from this client for this voter id; retry later",
        { retryAfterSeconds: Math.ceil(admission.retryAfterMs / 1000) },
      );
    const { ticket } = admission;
    let right = false;
    try {
      if (ticket.holdMs > 0) await sleep(ticket.holdMs);
      const auth = await this.deps.identity.authenticate(voterId, code);
      if (!auth.ok) throw new ApiError(401, "authentication-failed", auth.reason);
      right = true;
      return auth.voter.style;
    } finally {
      this.attempts.finish(ticket, right);
    }
  }

  async issue(request: IssueRequest, source: string): Promise<Issued> {
    const style = await this.styleOf(request.voterId, request.code, source);
    if (request.style !== undefined && request.style !== style)
      throw new ApiError(403, "wrong-style", `this voter votes ballot style ${style}, not ${request.style}`, {
        style,
      });
    const key = this.deps.keys.get(style);
    if (key === undefined)
      throw new ApiError(503, "registrar-key-missing", `the registrar has no key for ballot style ${style}`);
    checkBlindedMessage(key, request.blindedMessage);
    await this.requireKeyOnChain(style, key);
    // The journal key the voter can compute too (docs/protocol.md 11.1): the code enters it.
    const voterHash = journalKey(
      { chainId: BigInt(this.deps.wallet.chain.id), election: this.deps.election },
      request.voterId,
      request.code,
    );
    const requestHash = issuanceRequestHash(request.blindedMessage);
    const recorded = await this.voterLocks.run(voterHash, () =>
      this.journalOnChain(voterHash, style, requestHash),
    );
    if (recorded.requestHash !== requestHash)
      throw new ApiError(409, "already-issued", "a credential was already issued to this voter", {
        requestHash: recorded.requestHash,
      });
    return {
      style,
      blindSignature: toHex(blindSign(key, request.blindedMessage)),
      requestHash,
      voterIdHash: voterHash,
      transactionHash: recorded.transactionHash,
      blockNumber: recorded.blockNumber,
    };
  }

  /** Makes sure the chain holds an issuance for this voter; returns it (maybe for another request). */
  private async journalOnChain(voterHash: Hex, style: number, requestHash: Hex): Promise<ChainIssuance> {
    const { journal, logger } = this.deps;
    const entry = journal.get(voterHash);
    if (entry !== null && entry.state === "recorded")
      return {
        style: entry.style,
        requestHash: entry.requestHash,
        transactionHash: entry.transactionHash!,
        blockNumber: entry.blockNumber!,
      };
    // Pending (an earlier attempt may have reached the chain) or unknown to this journal.
    const found = await this.issuedOnChain(voterHash, entry?.fromBlock ?? this.deps.creationBlock);
    if (found !== null) {
      journal.markRecorded(voterHash, found);
      logger.info({ voterIdHash: voterHash, tx: found.transactionHash }, "issuance found on chain");
      return found;
    }
    const outcome = await this.batches.submit({ voterIdHash: voterHash, style, requestHash });
    if (!outcome.ok) throw outcome.error;
    return outcome.issuance;
  }

  /**
   * Journals a batch of issuances (distinct voters: each request holds its
   * voter's lock) in recordIssuances transactions. Simulated first, so that a
   * refusal keeps no state; when the batch would revert, each entry is
   * simulated alone (recordIssuance: the same checks), the refused ones get
   * their answer, and the others go round again. Each entry's outcome is
   * what the chain holds for its voter, or the refusal.
   */
  private async journalBatch(requests: JournalRequest[]): Promise<JournalOutcome[]> {
    const { journal, logger } = this.deps;
    const outcomes = new Array<JournalOutcome>(requests.length);
    let open = requests.map((_, i) => i);
    for (let attempt = 1; open.length > 0; attempt++) {
      const batch = open.map((i) => requests[i]);
      const batchError = await this.simulationError(this.recordIssuancesCall(batch));
      if (batchError !== null) {
        const name = revertErrorName(batchError);
        const alone =
          name === null // not the contract's answer (the node failed): nothing to tell apart
            ? batch.map(() => batchError)
            : await Promise.all(batch.map((r) => this.simulationError(this.recordIssuanceCall(r))));
        // Entries that pass alone but not together cannot come from one registrar (its per-voter lock):
        // should it happen, the batch's own refusal answers them all.
        const refused = alone.every((e) => e === null) ? alone.map(() => batchError) : alone;
        await Promise.all(
          open.map(async (i, k) => {
            if (refused[k] !== null) outcomes[i] = await this.refusedOutcome(requests[i], refused[k]);
          }),
        );
        open = open.filter((_, k) => refused[k] === null);
        continue;
      }
      const head = await this.deps.client.getBlockNumber({ cacheTime: 0 });
      journal.markPendingAll(batch, head);
      if (this.deps.crashPoint === "after-mark-pending") process.kill(process.pid, "SIGKILL");
      try {
        const sent = await this.sendBatch(this.recordIssuancesCall(batch));
        const recorded = batch.map((r) => ({ style: r.style, requestHash: r.requestHash, ...sent }));
        journal.markRecordedAll(batch.map((r, k) => ({ voterIdHash: r.voterIdHash, recorded: recorded[k] })));
        open.forEach((i, k) => (outcomes[i] = { ok: true, issuance: recorded[k] }));
        this.deps.onBatch?.(batch.length);
        logger.info({ size: batch.length, tx: sent.transactionHash }, "credential issuances journaled");
        open = [];
      } catch (error) {
        // Whatever happened, the chain decides, entry by entry: another registrar may have won one.
        const after = await Promise.all(
          batch.map((r) => this.issuedOnChain(r.voterIdHash, head).catch(() => null)),
        );
        open.forEach((i, k) => {
          const found = after[k];
          if (found !== null) {
            journal.markRecorded(requests[i].voterIdHash, found);
            outcomes[i] = { ok: true, issuance: found };
          } else {
            // Not on chain: the refusal leaves no trace. (Should a transaction sent despite the error
            // land later, the chain has it and the next request finds it there: the chain is authoritative.)
            journal.forgetPending(requests[i].voterIdHash, requests[i].requestHash);
          }
        });
        const notOnChain = open.filter((_, k) => after[k] === null);
        // Refused although its simulation passed (while estimating gas, or reverted when mined):
        // something changed meanwhile, such as a voter recorded by another registrar; simulate again.
        const name = revertErrorName(error);
        const race = name !== null || (error instanceof ApiError && error.code === "issuance-refused");
        if (race && attempt < BATCH_ATTEMPTS) open = notOnChain;
        else {
          const answer = name !== null ? refusal(name, error) : error;
          for (const i of notOnChain) outcomes[i] = { ok: false, error: answer };
          open = [];
        }
      }
    }
    return outcomes;
  }

  /** The answer to an entry the contract refuses: AlreadyIssued is answered from the chain. */
  private async refusedOutcome(request: JournalRequest, error: unknown): Promise<JournalOutcome> {
    const name = revertErrorName(error);
    try {
      if (name === "AlreadyIssued") {
        // Another registrar (or process) recorded this voter a moment ago: the chain's answer.
        const other = await this.issuedOnChain(request.voterIdHash, this.deps.creationBlock);
        if (other !== null) {
          this.deps.journal.markRecorded(request.voterIdHash, other);
          return { ok: true, issuance: other };
        }
      }
      return { ok: false, error: refusal(name, error) };
    } catch (lookupError) {
      return { ok: false, error: lookupError };
    }
  }

  /** Null when the call would succeed now, else viem's error (a revert names the custom error). */
  private async simulationError(
    call: Parameters<ChainPublicClient["simulateContract"]>[0],
  ): Promise<unknown> {
    try {
      await this.deps.client.simulateContract(call);
      return null;
    } catch (error) {
      return error;
    }
  }

  private recordIssuanceCall(request: JournalRequest) {
    const { wallet, election } = this.deps;
    return {
      account: wallet.account,
      address: election,
      abi: electionAbi,
      functionName: "recordIssuance",
      args: [request.voterIdHash, request.style, request.requestHash],
    } as const;
  }

  private recordIssuancesCall(batch: readonly JournalRequest[]) {
    const { wallet, election } = this.deps;
    return {
      account: wallet.account,
      address: election,
      abi: electionAbi,
      functionName: "recordIssuances",
      args: [batch.map((r) => ({ voterIdHash: r.voterIdHash, style: r.style, requestHash: r.requestHash }))],
    } as const;
  }

  /**
   * Sends a simulated recordIssuances and waits for it. Nonces come from a
   * local counter; when a node says the nonce is taken (another registrar
   * process shares this account, or a restart), the counter is re-read from
   * the node and the send retried, a few times with a short random pause.
   */
  private async sendBatch(
    call: ReturnType<Issuer["recordIssuancesCall"]>,
  ): Promise<{ transactionHash: Hex; blockNumber: bigint }> {
    const { client, wallet } = this.deps;
    const hash = await this.sendLock.run("send", async () => {
      for (let attempt = 1; ; attempt++) {
        const nonce = await this.nonces.take();
        try {
          return await wallet.writeContract({ ...call, nonce });
        } catch (error) {
          this.nonces.reset();
          if (isNonceConsumedError(error) && attempt < SEND_ATTEMPTS) {
            await sleep(10 + Math.random() * 40 * attempt);
            continue;
          }
          if (revertErrorName(error) !== null) throw error; // the contract's answer (while estimating gas)
          throw new ApiError(
            503,
            "chain-unavailable",
            `recordIssuances could not be sent: ${errorMessage(error)}`,
          );
        }
      }
    });
    if (this.deps.crashPoint === "after-send") process.kill(process.pid, "SIGKILL");
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: RECEIPT_POLL_MS });
    if (receipt.status !== "success")
      throw new ApiError(409, "issuance-refused", `recordIssuances reverted in ${hash}`);
    return { transactionHash: hash, blockNumber: receipt.blockNumber };
  }

  /** The chain's CredentialIssued for this voter, searched from `fromBlock`; null when not issued. */
  private async issuedOnChain(voterHash: Hex, fromBlock: bigint): Promise<ChainIssuance | null> {
    const { client, election } = this.deps;
    const issued = await client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "isIssued",
      args: [voterHash],
    });
    if (!issued) return null;
    // The head now (viem caches it for seconds): the event may be in the block just mined.
    const head = await client.getBlockNumber({ cacheTime: 0 });
    const found = await findInLogPages(
      { fromBlock, toBlock: head, pageSize: this.deps.logPageSize },
      async (page) => {
        const [event] = await client.getContractEvents({
          address: election,
          abi: electionAbi,
          eventName: "CredentialIssued",
          args: { voterIdHash: voterHash },
          ...page,
          strict: true,
        });
        return event;
      },
    );
    if (found !== undefined)
      return {
        style: found.args.style,
        requestHash: found.args.requestHash,
        transactionHash: found.transactionHash,
        blockNumber: found.blockNumber,
      };
    if (fromBlock > this.deps.creationBlock) return this.issuedOnChain(voterHash, this.deps.creationBlock);
    throw new ApiError(502, "chain-inconsistent", "the chain says issued but has no CredentialIssued event");
  }

  /** The chain must hold this very key for the style, or the voter could not use the credential. */
  private async requireKeyOnChain(style: number, key: RegistrarKeyPair): Promise<void> {
    const cached = this.keyHashes.get(style);
    let hash = cached !== undefined && Date.now() - cached.at < KEY_HASH_TTL_MS ? cached.hash : null;
    if (hash === null) {
      hash = await this.deps.client.readContract({
        address: this.deps.election,
        abi: electionAbi,
        functionName: "registrarKeyHash",
        args: [style],
      });
      this.keyHashes.set(style, { hash, at: Date.now() });
    }
    if (hash !== modulusHash(key.modulus))
      throw new ApiError(
        503,
        "registrar-key-mismatch",
        `the chain's key for ballot style ${style} is not this registrar's key (run \`registrar set-keys\`)`,
      );
  }
}

function checkBlindedMessage(key: RegistrarKeyPair, blinded: Uint8Array): void {
  const size = key.modulus.length;
  if (blinded.length !== size)
    throw new ApiError(400, "invalid-blinded-message", `the blinded message must be ${size} bytes`);
  const value = BigInt(toHex(blinded));
  if (value === 0n || value >= BigInt(toHex(key.modulus)))
    throw new ApiError(400, "invalid-blinded-message", "the blinded message is not below the modulus");
}

function refusal(errorName: string | null, error: unknown): ApiError {
  switch (errorName) {
    case "WrongPhase":
      return new ApiError(
        409,
        "issuance-closed",
        "the election does not issue credentials in its current phase",
      );
    case "EnforcedPause":
      return new ApiError(409, "election-paused", "the election is paused");
    case "RegistrarKeyMissing":
      return new ApiError(503, "registrar-key-missing", "the chain has no registrar key for this style");
    case "AccessControlUnauthorizedAccount":
      return new ApiError(503, "registrar-not-authorized", "this registrar's account lacks REGISTRAR_ROLE");
    case "AlreadyIssued":
      return new ApiError(409, "already-issued", "a credential was already issued to this voter");
    case "PaperBallotAlreadyIssued":
      return new ApiError(
        409,
        "paper-ballot-issued",
        "this voter was given a paper ballot at a precinct: no credential for the online vote",
      );
    default:
      return new ApiError(502, "chain-error", `recordIssuance refused: ${errorName ?? errorMessage(error)}`);
  }
}
