import {
  decodeFunctionData,
  getAbiItem,
  keccak256,
  toBytes,
  toFunctionSelector,
  type Abi,
  type Address,
  type ContractFunctionArgs,
  type ContractFunctionName,
  type Hash,
  type Hex,
  type Log,
} from "viem";
import type { SignedBallot } from "../protocol/ballot-check";
import { ceremonyBaseHash, type ElectionContext } from "../protocol/context";
import type { Manifest } from "../protocol/manifest";
import { hexToBytes } from "../protocol/primitives/bytes";
import {
  RECORD_VERSION,
  type ElectionRecord,
  type RecordBallot,
  type RecordCeremonyRound,
} from "../protocol/record";
import type { RecordEntries } from "../verification/record";
import type { RecordHeader } from "../verification/report";
import type { AccountWalletClient } from "./clients";
import { electionErrorNames, type ChainPublicClient } from "./deploy";
import { deriveRules, headerOf } from "../verification/rules";
import { electionAbi, electionFactoryAbi } from "./generated/abis";
import { findInLogPages, LOG_PAGE_BLOCKS, readLogPages } from "./log-pages";

/**
 * Reads one election from any EVM JSON-RPC endpoint into an ElectionRecord:
 * contract views for the parameters, eth_getLogs paged by block range for
 * every event, and the castBallots calldata for the ballot bytes (events
 * carry only hashes, to save gas). Relays call castBallots directly from
 * their account, so each BallotCast is matched to a position of its
 * transaction's batch. Standard JSON-RPC only.
 */
export interface ReadOptions {
  /** First block to read logs from; default: the election's creation block. */
  fromBlock?: bigint;
  /** Last block; default: the head minus `confirmations`. */
  toBlock?: bigint;
  /** Blocks per eth_getLogs call; default LOG_PAGE_BLOCKS (log-pages.ts). */
  pageSize?: bigint;
  /** Blocks to stay behind the head; default 0. */
  confirmations?: number;
}

/** keccak256("OBSERVER_ROLE"): the role whose holders may attest (Election.sol). */
const OBSERVER_ROLE = keccak256(toBytes("OBSERVER_ROLE"));

export type ElectionLog = Log<bigint, number, false, undefined, true, typeof electionAbi>;

/** The election's logs in [fromBlock, toBlock], decoded, paged by block range, in chain order. */
export async function fetchElectionLogs(
  client: ChainPublicClient,
  election: Address,
  fromBlock: bigint,
  toBlock: bigint,
  pageSize?: bigint,
): Promise<ElectionLog[]> {
  return readLogPages(
    { fromBlock, toBlock, pageSize },
    async (page) =>
      (await client.getContractEvents({
        address: election,
        abi: electionAbi,
        ...page,
        strict: true,
      })) as ElectionLog[],
  );
}

const CAST_BALLOTS_SELECTOR = toFunctionSelector(getAbiItem({ abi: electionAbi, name: "castBallots" }));

/** The batch of a castBallots transaction, from its calldata. */
export async function castBatchOf(
  client: ChainPublicClient,
  transactionHash: Hash,
): Promise<readonly SignedBallotHex[]> {
  const { input } = await client.getTransaction({ hash: transactionHash });
  if (input.slice(0, 10).toLowerCase() !== CAST_BALLOTS_SELECTOR)
    throw new Error(`transaction ${transactionHash} is not a direct castBallots call`);
  const args = Buffer.from(input.slice(10), "hex");
  if (args.length * 2 !== input.length - 10)
    throw new Error(`transaction ${transactionHash}: the calldata is not hex`);
  return castBallotsArguments(args);
}

/**
 * The argument of castBallots((bytes ballot, uint64 sequence, bytes signature)[])
 * from the calldata after the selector, in the ABI's head and tail layout:
 * every offset and length within the calldata, the unused high bytes of each
 * word zero (test/verification/ethers-crosscheck.test.ts compares it with
 * ethers and viem on the same calldata, malformed too). viem's decoder reads
 * the hex a character at a time and builds each `bytes` two digits at a time,
 * which V8 keeps as a rope of one node (about 32 bytes of heap) per byte until
 * something flattens it: about 0.2 ms of the observer's main thread a ballot,
 * and its garbage; Buffer's hex is native and flat.
 */
function castBallotsArguments(args: Buffer): SignedBallotHex[] {
  const fail = (what: string): never => {
    throw new Error(`castBallots calldata: ${what}`);
  };
  // The position of a 32-byte word in the calldata whose first `zeros` bytes are zero.
  const wordAt = (at: number, zeros: number): number => {
    if (!Number.isSafeInteger(at) || at < 0 || at + 32 > args.length) fail("cut short");
    for (let i = at; i < at + zeros; i++) if (args[i] !== 0) fail("a value out of range");
    return at;
  };
  const offset = (at: number) => args.readUIntBE(wordAt(at, 26) + 26, 6);
  const bytesAt = (at: number): Hex => {
    const length = offset(at);
    if (at + 32 + length > args.length) fail("bytes cut short");
    return `0x${args.toString("hex", at + 32, at + 32 + length)}`;
  };
  const array = offset(0);
  const count = offset(array);
  const heads = array + 32;
  if (heads + 32 * count > args.length) fail("cut short");
  return Array.from({ length: count }, (_, i) => {
    const tuple = heads + offset(heads + 32 * i);
    return {
      ballot: bytesAt(tuple + offset(tuple)),
      sequence: args.readBigUInt64BE(wordAt(tuple + 32, 24) + 24),
      signature: bytesAt(tuple + offset(tuple + 64)),
    };
  });
}

export interface SignedBallotHex {
  ballot: Hex;
  sequence: bigint;
  signature: Hex;
}

export const signedBallotOfRecord = (ballot: RecordBallot): SignedBallot => ({
  ballot: hexToBytes(ballot.ballot),
  sequence: BigInt(ballot.sequence),
  signature: ballot.signature,
});

/**
 * The factory's ElectionCreated event of `election`, searched backwards from
 * `atBlock` page by page (nodes such as Besu cap the block range of one
 * eth_getLogs call).
 */
export async function findElectionCreated(
  client: ChainPublicClient,
  factory: Address,
  election: Address,
  atBlock: bigint,
  pageSize?: bigint,
) {
  const created = await findInLogPages(
    { fromBlock: 0n, toBlock: atBlock, pageSize },
    async (page) =>
      (
        await client.getContractEvents({
          address: factory,
          abi: electionFactoryAbi,
          eventName: "ElectionCreated",
          args: { election },
          ...page,
          strict: true,
        })
      )[0],
    "backward",
  );
  if (created === undefined)
    throw new Error(`no ElectionCreated event for ${election} at factory ${factory}`);
  return created;
}

/** Election parameters from the contract's views and the factory's ElectionCreated event. */
async function readHeader(
  client: ChainPublicClient,
  election: Address,
  atBlock: bigint,
  pageSize: bigint | undefined,
) {
  const read = <F extends ContractFunctionName<typeof electionAbi, "view" | "pure">>(functionName: F) =>
    client.readContract({ address: election, abi: electionAbi, functionName, blockNumber: atBlock } as never);
  const [
    factory,
    manifestHashOnChain,
    opensAt,
    closesAt,
    revotePolicy,
    threshold,
    trusteeCount,
    ballotStyleCount,
  ] = (await Promise.all([
    read("factory"),
    read("manifestHash"),
    read("opensAt"),
    read("closesAt"),
    read("revotePolicy"),
    read("threshold"),
    read("trusteeCount"),
    read("ballotStyleCount"),
  ])) as [Address, Hex, bigint, bigint, number, number, number, number];
  const created = await findElectionCreated(client, factory, election, atBlock, pageSize);
  const creation = await client.getTransaction({ hash: created.transactionHash });
  const { args } = decodeFunctionData({ abi: electionFactoryAbi, data: creation.input });
  const params = (args as readonly [{ trustees: readonly Address[] }, Hex])[0];
  return {
    factory,
    creationBlock: created.blockNumber,
    manifest: created.args.manifest,
    manifestHash: manifestHashOnChain,
    opensAt: Number(opensAt),
    closesAt: Number(closesAt),
    revotePolicy: revotePolicy === 0 ? ("none" as const) : ("last-ballot-counts" as const),
    threshold,
    trusteeCount,
    ballotStyleCount,
    initialTrustees: [...params.trustees],
  };
}

function emptyRound(round: number, trustees: Address[]): RecordCeremonyRound {
  return { round, trustees, keys: [], shares: [], complaints: [], confirmations: [], jointKey: null };
}

/**
 * Logs one eth_getLogs call aims at: the reader's pages start at one block,
 * double over sparse blocks (up to `pageSize`) and halve over dense ones, so
 * that a page of a million-ballot chain holds a few thousand ballots, not
 * all of them.
 */
export const PAGE_LOGS = 2_000;

/** Reads the whole election record up to `toBlock` (default: head minus confirmations) into memory. */
export function readElectionRecord(
  client: ChainPublicClient,
  election: Address,
  options: ReadOptions = {},
): Promise<ElectionRecord> {
  return readRecord(client, election, options, null);
}

/**
 * Reads the election record as readElectionRecord does, page by page, and
 * hands each page's issuances, ballots and rejections to `sink` instead of
 * keeping them (record-files.ts exportElectionRecord writes them to a record
 * folder): memory holds one page. Returns the rest of the record.
 */
export async function streamElectionRecord(
  client: ChainPublicClient,
  election: Address,
  options: ReadOptions,
  sink: (entries: RecordEntries) => void | Promise<void>,
): Promise<RecordHeader> {
  return headerOf(await readRecord(client, election, options, sink));
}

async function readRecord(
  client: ChainPublicClient,
  election: Address,
  options: ReadOptions,
  sink: ((entries: RecordEntries) => void | Promise<void>) | null,
): Promise<ElectionRecord> {
  const head = await client.getBlockNumber({ cacheTime: 0 });
  const toBlock = options.toBlock ?? head - BigInt(Math.min(options.confirmations ?? 0, Number(head)));
  const header = await readHeader(client, election, toBlock, options.pageSize);
  const chainId = await client.getChainId();
  const [runningHash, ballotCount] = await Promise.all([
    client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "runningHash",
      blockNumber: toBlock,
    }),
    client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "ballotCount",
      blockNumber: toBlock,
    }),
  ]);
  const record: ElectionRecord = {
    version: RECORD_VERSION,
    chainId: chainId.toString(),
    election,
    factory: header.factory,
    creationBlock: header.creationBlock.toString(),
    manifest: header.manifest,
    manifestHash: header.manifestHash,
    opensAt: header.opensAt,
    closesAt: header.closesAt,
    revotePolicy: header.revotePolicy,
    threshold: header.threshold,
    trusteeCount: header.trusteeCount,
    ballotStyleCount: header.ballotStyleCount,
    ceremonyRounds: [emptyRound(0, header.initialTrustees)],
    registrarKeys: [],
    issuances: [],
    channels: { onlineRoll: [], paperBallots: [], cancellations: [] },
    ballots: [],
    rejections: [],
    runningHash,
    ballotCount: Number(ballotCount),
    decryptionShares: [],
    result: null,
    attestations: [],
    observers: [],
    throughBlock: toBlock.toString(),
  };
  const maxBlocks = options.pageSize ?? LOG_PAGE_BLOCKS;
  let blocks = 1n;
  let handed = 0;
  for (let from = options.fromBlock ?? header.creationBlock; from <= toBlock;) {
    const to = from + blocks - 1n < toBlock ? from + blocks - 1n : toBlock;
    const logs = await fetchElectionLogs(client, election, from, to, maxBlocks);
    await foldLogs(client, record, logs, handed);
    if (sink !== null) {
      handed += record.ballots.length;
      await sink({ issuances: record.issuances, ballots: record.ballots, rejections: record.rejections });
      record.issuances = [];
      record.ballots = [];
      record.rejections = [];
    }
    if (logs.length > PAGE_LOGS) blocks = blocks > 1n ? blocks / 2n : 1n;
    else if (logs.length < PAGE_LOGS / 2) blocks = blocks * 2n < maxBlocks ? blocks * 2n : maxBlocks;
    from = to + 1n;
  }
  return record;
}

/**
 * Applies decoded logs, in chain order, to a record (the observer calls it
 * range by range). Its new ballots are numbered from `firstIndex` plus the
 * ballots already in `record.ballots`.
 */
export async function foldLogs(
  client: ChainPublicClient,
  record: ElectionRecord,
  logs: readonly ElectionLog[],
  firstIndex = 0,
) {
  const timestamps = new Map<bigint, number>();
  const blockTime = async (blockNumber: bigint): Promise<number> => {
    let time = timestamps.get(blockNumber);
    if (time === undefined) {
      time = Number((await client.getBlock({ blockNumber })).timestamp);
      timestamps.set(blockNumber, time);
    }
    return time;
  };
  const batches = new Map<Hash, { batch: readonly SignedBallotHex[]; rejected: Set<number>; next: number }>();
  const batchOf = async (hash: Hash) => {
    let entry = batches.get(hash);
    if (entry === undefined) {
      const rejected = new Set(
        logs
          .filter((l) => l.transactionHash === hash && l.eventName === "BallotRejected")
          .map((l) => Number((l.args as { position: bigint }).position)),
      );
      entry = { batch: await castBatchOf(client, hash), rejected, next: 0 };
      batches.set(hash, entry);
    }
    return entry;
  };
  const round = (n: number) => {
    let found = record.ceremonyRounds.find((r) => r.round === n);
    if (found === undefined) {
      found = emptyRound(n, []);
      record.ceremonyRounds.push(found);
    }
    return found;
  };
  for (const log of logs) {
    const blockNumber = log.blockNumber.toString();
    switch (log.eventName) {
      case "CeremonyRestarted":
        round(log.args.round).trustees = [...log.args.trustees];
        break;
      case "TrusteeKeysPosted":
        round(log.args.round).keys.push({
          trusteeIndex: log.args.trusteeIndex,
          commitments: log.args.commitments,
          proofs: log.args.proofs,
          boxKey: log.args.boxKey,
        });
        break;
      case "SharesPosted":
        round(log.args.round).shares.push({
          trusteeIndex: log.args.trusteeIndex,
          encryptedShares: log.args.encryptedShares,
        });
        break;
      case "ComplaintFiled":
        round(log.args.round).complaints.push({
          complainer: log.args.complainer,
          accused: log.args.accused,
          evidence: log.args.evidence,
        });
        break;
      case "JointKeyConfirmed":
        round(log.args.round).confirmations.push({
          trusteeIndex: log.args.trusteeIndex,
          jointKey: log.args.jointKey,
        });
        break;
      case "JointKeyPublished":
        round(log.args.round).jointKey = log.args.jointKey;
        break;
      case "RegistrarKeySet":
        record.registrarKeys = record.registrarKeys.filter((k) => k.style !== log.args.style);
        record.registrarKeys.push({ style: log.args.style, modulus: log.args.rsaModulus });
        record.registrarKeys.sort((a, b) => a.style - b.style);
        break;
      case "CredentialIssued":
        record.issuances.push({
          voterIdHash: log.args.voterIdHash,
          style: log.args.style,
          requestHash: log.args.requestHash,
          blockNumber,
          timestamp: await blockTime(log.blockNumber),
        });
        break;
      // One person, one channel (docs/protocol.md section 11).
      case "OnlineRollPublished":
        record.channels.onlineRoll.push({
          style: log.args.style,
          voterIdHashes: [...log.args.voterIdHashes],
        });
        break;
      case "PaperBallotIssued":
        record.channels.paperBallots.push({
          voterIdHash: log.args.voterIdHash,
          style: log.args.style,
          precinct: log.args.precinct,
          blockNumber,
        });
        break;
      case "OnlineBallotCancelled":
        record.channels.cancellations.push({
          voterIdHash: log.args.voterIdHash,
          nullifier: log.args.nullifier,
          style: log.args.style,
          credential: log.args.credential,
          signature: log.args.signature,
          blockNumber,
        });
        break;
      case "BallotCast": {
        const entry = await batchOf(log.transactionHash);
        while (entry.rejected.has(entry.next)) entry.next++;
        const signed = entry.batch[entry.next++];
        if (signed === undefined)
          throw new Error(`transaction ${log.transactionHash} has more BallotCast events than ballots`);
        record.ballots.push({
          index: firstIndex + record.ballots.length,
          nullifier: log.args.nullifier,
          sequence: log.args.sequence.toString(),
          ballotHash: log.args.ballotHash,
          runningHash: log.args.runningHash,
          ballot: signed.ballot,
          signature: signed.signature,
          blockNumber,
          transactionHash: log.transactionHash,
          timestamp: await blockTime(log.blockNumber),
        });
        break;
      }
      case "BallotRejected":
        record.rejections.push({
          position: Number(log.args.position),
          nullifier: log.args.nullifier,
          ballotHash: log.args.ballotHash,
          reason: electionErrorNames.get(log.args.reason) ?? log.args.reason,
          transactionHash: log.transactionHash,
          blockNumber,
        });
        break;
      case "DecryptionSharePosted":
        record.decryptionShares.push({
          trusteeIndex: log.args.trusteeIndex,
          aggregateHash: log.args.aggregateHash,
          share: log.args.share,
        });
        break;
      case "ResultPublished":
        record.result = {
          resultHash: log.args.resultHash,
          result: new TextDecoder().decode(hexToBytes(log.args.result)),
        };
        break;
      case "AttestationPosted":
        record.attestations.push({
          observer: log.args.observer,
          resultHash: log.args.resultHash,
          tallyHash: log.args.tallyHash,
          resultMatches: log.args.resultMatches,
          signature: log.args.signature,
        });
        break;
      case "RoleGranted":
        if (log.args.role === OBSERVER_ROLE && !record.observers.includes(log.args.account))
          record.observers = [...record.observers, log.args.account].sort();
        break;
      case "RoleRevoked":
        if (log.args.role === OBSERVER_ROLE)
          record.observers = record.observers.filter((a) => a !== log.args.account);
        break;
      default:
        break;
    }
  }
}

// ------------------------------------------------------------- derived views

/** The ceremony round that produced the joint key, or the latest round. */
export function currentRound(record: Pick<ElectionRecord, "ceremonyRounds">): RecordCeremonyRound {
  return (
    record.ceremonyRounds.find((r) => r.jointKey !== null) ??
    record.ceremonyRounds.reduce((a, b) => (b.round > a.round ? b : a))
  );
}

/** What every tool derives from a record's header (the record without its long lists). */
export interface ElectionView {
  header: RecordHeader;
  manifest: Manifest;
  /** Q0 of the current ceremony round. */
  ceremonyBase: Uint8Array;
  /** The context of the round that published the joint key (ElectionRules, server/verification/rules.ts). */
  context: ElectionContext | null;
  /** The valid registrar key per style (V3). */
  registrarKeys: Map<number, Uint8Array>;
}

/** An election read whole into memory. */
export interface LoadedElection extends ElectionView {
  record: ElectionRecord;
}

/**
 * What every tool derives from a record, by the one derivation of the
 * verification (server/verification/rules.ts); throws when the manifest
 * does not parse or does not match the contract's hash (V1.1 to V1.3).
 */
export function electionViewOf(header: RecordHeader): ElectionView {
  const derived = deriveRules(header);
  const manifestFault = derived.findings.faults.find((f) => ["V1.1", "V1.2", "V1.3"].includes(f.check));
  if (derived.manifest === null || manifestFault !== undefined)
    throw new Error(`election ${header.election}: ${manifestFault?.reason ?? "the manifest does not parse"}`);
  const round = header.ceremonyRounds.reduce((a, b) => (b.round > a.round ? b : a));
  return {
    header,
    manifest: derived.manifest,
    ceremonyBase: ceremonyBaseHash(
      { chainId: BigInt(header.chainId), election: header.election },
      derived.manifest,
      round.round,
    ),
    context: derived.rules?.context ?? null,
    registrarKeys: derived.registrarKeys,
  };
}

/** electionViewOf a record held in memory, with the record. */
export const loadedElectionOf = (record: ElectionRecord): LoadedElection => ({
  record,
  ...electionViewOf(headerOf(record)),
});

/** The record plus what every tool derives from it; throws when the manifest does not match the contract. */
export async function loadElection(
  client: ChainPublicClient,
  election: Address,
  options: ReadOptions = {},
): Promise<LoadedElection> {
  return loadedElectionOf(await readElectionRecord(client, election, options));
}

// ------------------------------------------------------------- transactions

type WriteName = ContractFunctionName<typeof electionAbi, "nonpayable">;

/** A contract call that reverted, named by its custom error (e.g. "WrongPhase"). */
export class ElectionCallError extends Error {
  constructor(
    readonly functionName: string,
    readonly errorName: string,
    message: string,
  ) {
    super(message);
  }
}

/**
 * Simulates then sends an Election transaction and waits for its receipt. A
 * revert is thrown as ElectionCallError with the contract's custom error name,
 * before anything is sent.
 */
export async function sendElectionTx<F extends WriteName>(
  wallet: AccountWalletClient,
  client: ChainPublicClient,
  election: Address,
  functionName: F,
  args: ContractFunctionArgs<typeof electionAbi, "nonpayable", F>,
) {
  const call = {
    account: wallet.account,
    address: election,
    abi: electionAbi as Abi,
    functionName,
    args: args as readonly unknown[],
  };
  let request;
  try {
    ({ request } = await client.simulateContract(call));
  } catch (error) {
    const errorName = revertName(error);
    throw new ElectionCallError(
      functionName,
      errorName,
      `${functionName} refused by the contract: ${errorName}${revertArgs(error)}`,
    );
  }
  let hash: Hex;
  try {
    // With the whole ABI: a revert met while sending (the state changed since the simulation, e.g.
    // a concurrent run posted first) is decoded to the custom error's name, not a bare selector.
    hash = await wallet.writeContract({ ...request, abi: electionAbi as Abi });
  } catch (error) {
    // Not decoded (e.g. another sender on this account took the nonce, and its transaction changed
    // the state): the same call, simulated again now, names the contract's reason if it has one.
    const named =
      customErrorName(error) !== undefined
        ? error
        : await client.simulateContract(call).then(
            () => error,
            (e: unknown) => e,
          );
    const errorName = customErrorName(named);
    if (errorName === undefined) throw error;
    throw new ElectionCallError(
      functionName,
      errorName,
      `${functionName} refused by the contract: ${errorName}${revertArgs(named)}`,
    );
  }
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") {
    // Mined but reverted (two senders raced): the same call now names the reason.
    const errorName = await client.simulateContract(call).then(() => undefined, customErrorName);
    throw new ElectionCallError(
      functionName,
      errorName ?? "Reverted",
      `${functionName} reverted in ${hash}${errorName === undefined ? "" : `: ${errorName}`}`,
    );
  }
  return receipt;
}

/** The decoded custom error name of a viem error, if the revert data matched the ABI. */
const customErrorName = (error: unknown): string | undefined =>
  findCause(error, (e) => {
    const data = e.data as { errorName?: string } | undefined;
    return typeof data?.errorName === "string" ? data.errorName : undefined;
  });

function findCause<T>(error: unknown, pick: (e: Record<string, unknown>) => T | undefined): T | undefined {
  let current: unknown = error;
  for (let depth = 0; depth < 10 && current !== null && typeof current === "object"; depth++) {
    const found = pick(current as Record<string, unknown>);
    if (found !== undefined) return found;
    current = (current as { cause?: unknown }).cause;
  }
  return undefined;
}

function revertName(error: unknown): string {
  return (
    customErrorName(error) ??
    findCause(error, (e) => (typeof e.shortMessage === "string" ? e.shortMessage : undefined)) ??
    String(error)
  );
}

function revertArgs(error: unknown): string {
  const args = findCause(error, (e) => {
    const data = e.data as { args?: readonly unknown[] } | undefined;
    return Array.isArray(data?.args) ? data.args : undefined;
  });
  return args === undefined || args.length === 0 ? "" : `(${args.map((a) => String(a)).join(", ")})`;
}
