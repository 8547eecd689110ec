import type { Address, Hex } from "viem";
import type { ChainPublicClient } from "../chain/deploy";
import { electionErrorNames, roleId } from "../chain/deploy";
import { electionAbi } from "../chain/generated/abis";
import { blockPages } from "../chain/log-pages";
import {
  normalizeTrackingCode,
  trackingCode as trackingCodeOf,
  type BallotChoices,
} from "../protocol/ballot";
import { initCrypto } from "../protocol/primitives/sodium";
import { loadElectionRules, type ElectionRules } from "../service/election-info";
import {
  checkReceipt,
  finishCredential,
  prepareBallot,
  startCredentialRequest,
  type RelayReceipt,
} from "./booth";
import {
  fetchBallotStatus,
  fetchVoterStyle,
  requestBlindSignature,
  ServiceError,
  ServiceUnreachableError,
  submitBallot,
  type RelayBallotStatus,
} from "./services-client";
import { openWallet, writeWallet, type VoterWallet } from "./wallet-file";

/**
 * The voter client (Node): the steps of booth.ts with the chain read for the
 * election's rules and keys, the registrar and relays over HTTP, and a local
 * wallet file. `ballot-ledger vote` and `ballot-ledger track` are thin
 * wrappers around castVote and trackBallot.
 */
export type VoterErrorKind = "usage" | "refused" | "verification";

export class VoterError extends Error {
  constructor(
    readonly kind: VoterErrorKind,
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = "VoterError";
  }
}

export interface VoteOptions {
  client: ChainPublicClient;
  election: Address;
  /** Needed for the first ballot (to get the credential). */
  registrarUrl?: string;
  relayUrls: readonly string[];
  voterId?: string;
  code?: string;
  /** The voter's ballot style; asked from the registrar when not given. */
  style?: number;
  choices: BallotChoices;
  walletFile: string;
  relayTimeoutMs?: number;
  /** Rules already read (tests, repeated calls). */
  rules?: ElectionRules;
}

export interface VoteResult {
  trackingCode: string;
  ballotHash: Hex;
  sequence: bigint;
  /** The relay whose receipt the voter holds, or (no receipt) one that holds the ballot, if any answered. */
  relayUrl: string | null;
  relay: Address | null;
  /** Whether the relay's account holds RELAY_ROLE on chain (false when no relay is known). */
  relayAuthorized: boolean;
  /** The relay's signed receipt; null when its answer was lost and the ballot was found by tracking. */
  receipt: RelayReceipt | null;
  /**
   * How the ballot is known accepted: `receipt` (the relay answered 202), or
   * the tracking lookup (trackBallot) after a relay answered one of
   * ALREADY_HELD_CODES for this very ballot (an earlier relay took it and its
   * answer was lost): `queued` at a relay, or `on-chain`.
   */
  accepted:
    | { status: "receipt" }
    | {
        status: "queued" | "on-chain";
        refusal: string;
        transactionHash: Hex | null;
        blockNumber: string | null;
      };
  credentialIssued: boolean;
}

/**
 * The relay refusals that can mean "this very ballot is already queued or on
 * chain" (docs/api.md, POST /v1/ballots): `duplicate-ballot`, and in view mode
 * the contract's SequenceNotHigher / RevoteNotAllowed for the ballot already
 * recorded. Only the tracking lookup tells them from a different ballot.
 */
const ALREADY_HELD_CODES: ReadonlySet<string> = new Set([
  "duplicate-ballot",
  "sequence-not-higher",
  "revote-not-allowed",
]);

/** After such a refusal: the ballot itself, queued at a relay or on chain, or null. */
async function findHeldBallot(
  options: VoteOptions,
  rules: ElectionRules,
  prepared: { trackingCode: string; ballotHash: Hex; sequence: bigint },
  refusal: ServiceError,
): Promise<{ accepted: VoteResult["accepted"]; relay: TrackResult["relay"] } | null> {
  const tracked = await trackBallot({
    client: options.client,
    election: options.election,
    trackingCode: prepared.trackingCode,
    relayUrls: options.relayUrls,
    rules,
  });
  const same = (hash: Hex | null, sequence: string | null) =>
    hash?.toLowerCase() === prepared.ballotHash.toLowerCase() && sequence === prepared.sequence.toString();
  const { chain, relay } = tracked;
  const known = relay !== null && same(relay.ballotHash, relay.sequence) ? relay : null;
  if (chain.status === "recorded" && same(chain.ballotHash, chain.sequence))
    return {
      accepted: {
        status: "on-chain",
        refusal: refusal.code,
        transactionHash: chain.transactionHash,
        blockNumber: chain.blockNumber,
      },
      relay: known,
    };
  if (known?.status === "queued")
    return {
      accepted: { status: "queued", refusal: refusal.code, transactionHash: null, blockNumber: null },
      relay: known,
    };
  return null;
}

function wrapService(error: unknown, what: string): never {
  if (error instanceof ServiceUnreachableError)
    throw new VoterError("refused", "service-unreachable", `${what}: ${error.message}`);
  if (error instanceof ServiceError)
    throw new VoterError(
      error.status === 401 ? "usage" : "refused",
      error.code,
      `${what}: ${error.message} (${error.code})`,
    );
  throw error;
}

async function obtainCredential(
  options: VoteOptions,
  rules: ElectionRules,
  wallet: VoterWallet,
): Promise<void> {
  const { registrarUrl, voterId, code } = options;
  if (registrarUrl === undefined || voterId === undefined || code === undefined)
    throw new VoterError(
      "usage",
      "credential-needed",
      "no credential yet: give the registrar URL, the voter id and the one-time code",
    );
  let pending = wallet.pendingRequest;
  if (pending === null) {
    const style =
      options.style ??
      (await fetchVoterStyle(registrarUrl, voterId, code).catch((e) => wrapService(e, "registrar"))).style;
    const modulus = rules.registrarKeys.get(style);
    if (modulus === undefined)
      throw new VoterError(
        "refused",
        "registrar-key-missing",
        `the chain has no registrar key for ballot style ${style}`,
      );
    pending = await startCredentialRequest(rules.context, modulus, style, wallet.votingKey);
    wallet.pendingRequest = pending;
    await writeWallet(options.walletFile, wallet); // before sending: a retry must send the same request
  }
  const issued = await requestBlindSignature(registrarUrl, {
    voterId,
    code,
    style: pending.styleIndex,
    blindedMessage: pending.blindedMessage,
  }).catch(async (error) => {
    if (error instanceof ServiceError && error.code === "wrong-style") {
      wallet.pendingRequest = null; // blinded for the wrong key: start again with the right style
      await writeWallet(options.walletFile, wallet);
    }
    return wrapService(error, "registrar");
  });
  const modulus = rules.registrarKeys.get(pending.styleIndex)!;
  try {
    wallet.credential = await finishCredential(modulus, pending, issued.blindSignature);
  } catch (error) {
    throw new VoterError(
      "verification",
      "invalid-blind-signature",
      `the registrar's signature does not verify under the chain's key: ${(error as Error).message}`,
    );
  }
  wallet.pendingRequest = null;
  wallet.issuance = {
    requestHash: issued.requestHash,
    transactionHash: issued.transactionHash,
    blockNumber: issued.blockNumber,
  };
  await writeWallet(options.walletFile, wallet);
}

export async function castVote(options: VoteOptions): Promise<VoteResult> {
  await initCrypto();
  const rules = options.rules ?? (await loadElectionRules(options.client, options.election));
  const wallet = await openWallet(options.walletFile, rules.context);
  let credentialIssued = false;
  if (wallet.credential === null) {
    await obtainCredential(options, rules, wallet);
    credentialIssued = true;
  }
  const credential = wallet.credential!;
  const accepted = wallet.ballots.filter((b) => b.answer !== null);
  if (!rules.revotesAllowed && accepted.length > 0)
    throw new VoterError(
      "refused",
      "revote-not-allowed",
      "this election allows no re-vote and this wallet has voted",
    );
  const sequence =
    wallet.ballots.reduce((max, b) => (BigInt(b.sequence) > max ? BigInt(b.sequence) : max), 0n) + 1n;
  let prepared;
  try {
    prepared = await prepareBallot(rules.context, wallet.votingKey, credential, options.choices, sequence);
  } catch (error) {
    throw new VoterError("usage", "invalid-choices", (error as Error).message);
  }
  const entry = {
    sequence: sequence.toString(),
    ballotHash: prepared.ballotHash,
    trackingCode: prepared.trackingCode,
    preparedAt: Math.floor(Date.now() / 1000),
    relayUrl: null as string | null,
    answer: null as RelayReceipt | null,
  };
  wallet.ballots.push(entry);
  await writeWallet(options.walletFile, wallet);

  let submitted;
  try {
    submitted = await submitBallot(options.relayUrls, prepared, { timeoutMs: options.relayTimeoutMs });
  } catch (error) {
    if (!(error instanceof ServiceError && ALREADY_HELD_CODES.has(error.code))) wrapService(error, "relay");
    const held = await findHeldBallot(options, rules, prepared, error);
    if (held === null) wrapService(error, "relay");
    entry.relayUrl = held.relay?.url ?? null;
    await writeWallet(options.walletFile, wallet);
    return {
      trackingCode: prepared.trackingCode,
      ballotHash: prepared.ballotHash,
      sequence,
      relayUrl: entry.relayUrl,
      relay: held.relay?.relay ?? null,
      relayAuthorized: held.relay === null ? false : await isRelay(options, held.relay.relay),
      receipt: null,
      accepted: held.accepted,
      credentialIssued,
    };
  }
  const { relayUrl, answer } = submitted;
  const check = await checkReceipt(rules.context, prepared, answer);
  if (!check.ok)
    throw new VoterError(
      "verification",
      "invalid-receipt",
      `the relay's receipt is not valid: ${check.reason}`,
    );
  entry.relayUrl = relayUrl;
  entry.answer = answer;
  await writeWallet(options.walletFile, wallet);
  const relayAuthorized = await isRelay(options, check.relay);
  return {
    trackingCode: prepared.trackingCode,
    ballotHash: prepared.ballotHash,
    sequence,
    relayUrl,
    relay: check.relay,
    relayAuthorized,
    receipt: answer,
    accepted: { status: "receipt" },
    credentialIssued,
  };
}

const isRelay = (options: VoteOptions, account: Address) =>
  options.client.readContract({
    address: options.election,
    abi: electionAbi,
    functionName: "hasRole",
    args: [roleId("RELAY_ROLE"), account],
  });

// ------------------------------------------------------------- tracking

export interface ChainBallotState {
  status: "recorded" | "rejected" | "not-found";
  ballotHash: Hex | null;
  nullifier: Hex | null;
  sequence: string | null;
  blockNumber: string | null;
  transactionHash: Hex | null;
  /** A later ballot of the same voter (re-vote) is on chain: this one will not count. */
  superseded: boolean;
  reason: string | null;
}

export interface TrackResult {
  trackingCode: string;
  relay: (RelayBallotStatus & { url: string }) | null;
  relayErrors: { url: string; error: string }[];
  chain: ChainBallotState;
  /** The relay's account and the chain agree (or no relay was asked). */
  consistent: boolean;
}

/** Looks a tracking code up at the relays and, independently, on chain (every BallotCast, paged). */
export async function trackBallot(options: {
  client: ChainPublicClient;
  election: Address;
  trackingCode: string;
  relayUrls?: readonly string[];
  rules?: ElectionRules;
  pageSize?: bigint;
}): Promise<TrackResult> {
  const code = normalizeTrackingCode(options.trackingCode);
  if (code === null)
    throw new VoterError(
      "usage",
      "invalid-tracking-code",
      "a tracking code is 16 Crockford base32 characters",
    );
  await initCrypto();
  const rules = options.rules ?? (await loadElectionRules(options.client, options.election));

  let relay: TrackResult["relay"] = null;
  const relayErrors: TrackResult["relayErrors"] = [];
  for (const url of options.relayUrls ?? []) {
    try {
      relay = { ...(await fetchBallotStatus(url, code)), url };
      break;
    } catch (error) {
      relayErrors.push({ url, error: error instanceof Error ? error.message : String(error) });
    }
  }

  const chain = await findOnChain(options.client, options.election, rules, code, options.pageSize);
  const consistent =
    relay === null ||
    (relay.status === "on-chain"
      ? chain.status === "recorded" &&
        chain.transactionHash?.toLowerCase() === relay.transactionHash?.toLowerCase()
      : relay.status === "queued"
        ? chain.status !== "rejected"
        : chain.status !== "recorded" || chain.superseded);
  return { trackingCode: code, relay, relayErrors, chain, consistent };
}

async function findOnChain(
  client: ChainPublicClient,
  election: Address,
  rules: ElectionRules,
  code: string,
  pageSize: bigint | undefined,
): Promise<ChainBallotState> {
  const head = await client.getBlockNumber({ cacheTime: 0 }); // viem caches it for a polling interval
  let found: ChainBallotState | null = null;
  let latestOfNullifier = 0n;
  for (const page of blockPages({ fromBlock: rules.creationBlock, toBlock: head, pageSize })) {
    const logs = await client.getContractEvents({
      address: election,
      abi: electionAbi,
      ...page,
      strict: true,
    });
    for (const log of logs) {
      if (log.eventName === "BallotCast") {
        if (
          (found === null || found.status === "rejected") &&
          trackingCodeOf(rules.context, log.args.ballotHash) === code
        )
          found = {
            status: "recorded",
            ballotHash: log.args.ballotHash,
            nullifier: log.args.nullifier,
            sequence: log.args.sequence.toString(),
            blockNumber: log.blockNumber.toString(),
            transactionHash: log.transactionHash,
            superseded: false,
            reason: null,
          };
        if (found?.nullifier === log.args.nullifier && log.args.sequence > latestOfNullifier)
          latestOfNullifier = log.args.sequence;
      } else if (log.eventName === "BallotRejected" && found === null) {
        if (trackingCodeOf(rules.context, log.args.ballotHash) === code)
          found = {
            status: "rejected",
            ballotHash: log.args.ballotHash,
            nullifier: log.args.nullifier,
            sequence: null,
            blockNumber: log.blockNumber.toString(),
            transactionHash: log.transactionHash,
            superseded: false,
            reason: electionErrorNames.get(log.args.reason) ?? log.args.reason,
          };
      }
    }
  }
  if (found === null)
    return {
      status: "not-found",
      ballotHash: null,
      nullifier: null,
      sequence: null,
      blockNumber: null,
      transactionHash: null,
      superseded: false,
      reason: null,
    };
  if (found.status === "recorded") found.superseded = latestOfNullifier > BigInt(found.sequence!);
  return found;
}
