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
import { AttemptGuard } from "./attempts";
import type { IssuanceJournal } from "./journal";
import { modulusHash } from "./keys";
import type { IdentityProvider } from "./roll";

/**
 * One credential per voter and election, crash-safe:
 *
 *  1. authenticate the voter (IdentityProvider) and check the blinded message;
 *  2. under a per-voter lock, look at the local journal and at the chain;
 *  3. if the chain has no issuance yet: journal `pending`, send
 *     recordIssuance(voterIdHash, style, keccak256(blinded)), wait for it;
 *  4. only when the chain holds an issuance with THIS request hash, answer
 *     with blindSign(key, blinded) (deterministic, so a repeat gets the same
 *     answer). Another request hash on chain: 409 already-issued.
 *
 * A crash anywhere leaves either nothing on chain (the retry sends again) or
 * the chain's CredentialIssued event, which the retry finds and answers from.
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
}

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

const KEY_HASH_TTL_MS = 5_000;
/** Receipt polling (viem's default is 4 s: a voter would wait for it on every sign-in). */
const RECEIPT_POLL_MS = 200;
/** Sends tried when another sender (a second registrar process on this account) took the nonce. */
const SEND_ATTEMPTS = 8;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

export class Issuer {
  private readonly voterLocks = new KeyedMutex();
  private readonly sendLock = new KeyedMutex();
  private readonly nonces: NonceCounter;
  private readonly keyHashes = new Map<number, { hash: Hex; at: number }>();
  /** Wrong-code limits per source and per voter id (attempts.ts). */
  readonly attempts: AttemptGuard;

  constructor(private readonly deps: IssuerDeps) {
    this.nonces = new NonceCounter(deps.client, deps.wallet.account.address);
    this.attempts = deps.attempts ?? new AttemptGuard();
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
    const call = this.recordIssuanceCall(voterHash, style, requestHash);
    try {
      // Before anything is journaled: a refusal (closed, paused, already issued) keeps no state.
      await this.deps.client.simulateContract(call);
    } catch (error) {
      const name = revertErrorName(error);
      if (name === "AlreadyIssued") {
        // Another registrar (or process) recorded this voter a moment ago: the chain's answer.
        const other = await this.issuedOnChain(voterHash, this.deps.creationBlock);
        if (other !== null) {
          journal.markRecorded(voterHash, other);
          return other;
        }
      }
      throw refusal(name, error);
    }
    const head = await this.deps.client.getBlockNumber({ cacheTime: 0 });
    journal.markPending(voterHash, style, requestHash, head);
    try {
      const recorded = await this.recordIssuance(call);
      journal.markRecorded(voterHash, recorded);
      logger.info(
        { voterIdHash: voterHash, style, tx: recorded.transactionHash },
        "credential issuance journaled",
      );
      return recorded;
    } catch (error) {
      // Whatever happened, the chain decides: another request (or another registrar) may have won.
      const after = await this.issuedOnChain(voterHash, head).catch(() => null);
      if (after !== null) {
        journal.markRecorded(voterHash, after);
        return after;
      }
      // Not on chain: the refusal leaves no trace. (Should a transaction sent despite the error
      // land later, the chain has it and the next request finds it there: the chain is authoritative.)
      journal.forgetPending(voterHash, requestHash);
      throw error;
    }
  }

  private recordIssuanceCall(voterHash: Hex, style: number, requestHash: Hex) {
    const { wallet, election } = this.deps;
    return {
      account: wallet.account,
      address: election,
      abi: electionAbi,
      functionName: "recordIssuance",
      args: [voterHash, style, requestHash],
    } as const;
  }

  /**
   * Sends a simulated recordIssuance and waits for it. Nonces come from a local
   * counter; when a node says the nonce is taken (another registrar process
   * shares this account, or a restart), the counter is re-read from the node
   * and the send retried, a few times with a short random pause.
   */
  private async recordIssuance(call: ReturnType<Issuer["recordIssuanceCall"]>): Promise<ChainIssuance> {
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
          const name = revertErrorName(error);
          if (name !== null) throw refusal(name, error);
          throw new ApiError(
            503,
            "chain-unavailable",
            `recordIssuance could not be sent: ${errorMessage(error)}`,
          );
        }
      }
    });
    const receipt = await client.waitForTransactionReceipt({ hash, pollingInterval: RECEIPT_POLL_MS });
    if (receipt.status !== "success")
      throw new ApiError(409, "issuance-refused", `recordIssuance reverted in ${hash}`);
    const [style, requestHash] = [call.args[1], call.args[2]];
    return { style, requestHash, transactionHash: hash, blockNumber: receipt.blockNumber };
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
    default:
      return new ApiError(502, "chain-error", `recordIssuance refused: ${errorName ?? errorMessage(error)}`);
  }
}
