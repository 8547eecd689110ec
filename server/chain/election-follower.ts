import type { Address, Hex } from "viem";
import type { ElectionRecord } from "../protocol/record";
import type { AccountWalletClient } from "./clients";
import { roleId, type ChainPublicClient } from "./deploy";
import {
  fetchElectionLogs,
  foldLogs,
  readElectionRecord,
  sendElectionTx,
  type ElectionLog,
} from "./election-reader";
import { electionAbi } from "./generated/abis";

/**
 * Following an election block range by block range, for the observer: the
 * election reader's paging (fetchElectionLogs) and decoding (foldLogs) applied
 * to one range at a time, plus the few contract views a follower needs at the
 * end of each range. Standard JSON-RPC only.
 */

/** The last block with at least `confirmations` blocks on top of it (-1 when there is none yet). */
export async function confirmedHead(client: ChainPublicClient, confirmations: number): Promise<bigint> {
  return (await client.getBlockNumber({ cacheTime: 0 })) - BigInt(confirmations);
}

/** The hash of block `blockNumber` on the node's chain now. */
export async function blockHashAt(client: ChainPublicClient, blockNumber: bigint): Promise<Hex> {
  return (await client.getBlock({ blockNumber })).hash;
}

/** The election's parameters and creation data at `atBlock`, with no events folded in yet. */
export async function readElectionHeader(
  client: ChainPublicClient,
  election: Address,
  atBlock: bigint,
  pageSize?: bigint,
): Promise<ElectionRecord> {
  // An empty block range: the reader reads the header and folds no log.
  return readElectionRecord(client, election, { fromBlock: atBlock + 1n, toBlock: atBlock, pageSize });
}

export interface LedgerState {
  runningHash: Hex;
  ballotCount: number;
  closesAt: number;
  /** Block time of the block the state was read at (seconds). */
  timestamp: number;
}

/** The contract's running hash, ballot count and closing time at a block. */
export async function readLedgerState(
  client: ChainPublicClient,
  election: Address,
  blockNumber: bigint,
): Promise<LedgerState> {
  const read = (functionName: "runningHash" | "ballotCount" | "closesAt") =>
    client.readContract({ address: election, abi: electionAbi, functionName, blockNumber });
  const [runningHash, ballotCount, closesAt, block] = await Promise.all([
    read("runningHash"),
    read("ballotCount"),
    read("closesAt"),
    client.getBlock({ blockNumber }),
  ]);
  return {
    runningHash: runningHash as Hex,
    ballotCount: Number(ballotCount),
    closesAt: Number(closesAt),
    timestamp: Number(block.timestamp),
  };
}

/**
 * Folds the election's events of blocks [fromBlock, toBlock] into `record`
 * (whose ballots, issuances and rejections arrays receive the range's new
 * entries) and returns the decoded logs.
 */
export async function foldRange(
  client: ChainPublicClient,
  record: ElectionRecord,
  fromBlock: bigint,
  toBlock: bigint,
  pageSize?: bigint,
): Promise<ElectionLog[]> {
  const logs = await fetchElectionLogs(client, record.election, fromBlock, toBlock, pageSize);
  await foldLogs(client, record, logs);
  return logs;
}

/** Whether `account` holds the observer role and whether it already attested. */
export async function observerStanding(
  client: ChainPublicClient,
  election: Address,
  account: Address,
): Promise<{ hasRole: boolean; hasAttested: boolean }> {
  const [hasRole, hasAttested] = await Promise.all([
    client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "hasRole",
      args: [roleId("OBSERVER_ROLE"), account],
    }),
    client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "hasAttested",
      args: [account],
    }),
  ]);
  return { hasRole, hasAttested };
}

/** Posts attest(resultHash, tallyHash, resultMatches, signature); returns the transaction hash. */
export async function postAttestation(
  wallet: AccountWalletClient,
  client: ChainPublicClient,
  election: Address,
  attestation: { resultHash: Hex; tallyHash: Hex; resultMatches: boolean; signature: Hex },
): Promise<Hex> {
  const receipt = await sendElectionTx(wallet, client, election, "attest", [
    attestation.resultHash,
    attestation.tallyHash,
    attestation.resultMatches,
    attestation.signature,
  ]);
  return receipt.transactionHash;
}
