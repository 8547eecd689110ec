import {
  decodeEventLog,
  keccak256,
  parseEventLogs,
  stringToHex,
  type Address,
  type Hash,
  type Hex,
  type PublicClient,
  type Transport,
  type Chain,
} from "viem";
import { electionAbi, electionFactoryAbi, electionFactoryBytecode } from "./generated/abis";
import type { AccountWalletClient } from "./clients";

/**
 * Deploying the factory, creating elections and casting ballot batches: the
 * same code for the embedded Hardhat node, anvil and a Besu network.
 */
export type ChainPublicClient = PublicClient<Transport, Chain>;

export const RevotePolicy = { None: 0, LastBallotCounts: 1 } as const;
export const Phase = { KeyCeremony: 0, Ready: 1, Voting: 2, Tallying: 3, ResultPublished: 4 } as const;
export const PHASE_NAMES = ["KeyCeremony", "Ready", "Voting", "Tallying", "ResultPublished"] as const;

export const roleId = (
  name: "REGISTRAR_ROLE" | "RELAY_ROLE" | "OBSERVER_ROLE" | "PRECINCT_ROLE" | "ELECTION_CREATOR_ROLE",
): Hex => keccak256(stringToHex(name));

export interface ElectionParams {
  manifestHash: Hex;
  opensAt: bigint;
  closesAt: bigint;
  revotePolicy: number;
  threshold: number;
  trustees: Address[];
  ballotStyleCount: number;
  commission: Address;
}

export interface SignedBallot {
  ballot: Hex;
  sequence: bigint;
  signature: Hex;
}

/** Waits for the receipt of a sent transaction; throws when it reverted. */
async function confirmed(client: ChainPublicClient, hash: Hash) {
  const receipt = await client.waitForTransactionReceipt({ hash });
  if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
  return receipt;
}

export async function deployFactory(
  wallet: AccountWalletClient,
  client: ChainPublicClient,
): Promise<Address> {
  const hash = await wallet.deployContract({
    abi: electionFactoryAbi,
    bytecode: electionFactoryBytecode,
    args: [wallet.account.address],
  });
  const receipt = await confirmed(client, hash);
  if (!receipt.contractAddress) throw new Error("factory deployment has no contract address");
  return receipt.contractAddress;
}

export async function createElection(
  wallet: AccountWalletClient,
  client: ChainPublicClient,
  factory: Address,
  params: ElectionParams,
  manifest: Uint8Array,
): Promise<{ election: Address; blockNumber: bigint }> {
  const { request } = await client.simulateContract({
    account: wallet.account,
    address: factory,
    abi: electionFactoryAbi,
    functionName: "createElection",
    args: [params, toHexBytes(manifest)],
  });
  const receipt = await confirmed(client, await wallet.writeContract(request));
  const [created] = parseEventLogs({
    abi: electionFactoryAbi,
    eventName: "ElectionCreated",
    logs: receipt.logs,
  });
  if (!created) throw new Error("createElection emitted no ElectionCreated event");
  return { election: created.args.election, blockNumber: receipt.blockNumber };
}

const toHexBytes = (bytes: Uint8Array): Hex => `0x${Buffer.from(bytes).toString("hex")}`;

/** The selector of every custom error of Election, to name the reason of a BallotRejected event. */
export const electionErrorNames: ReadonlyMap<Hex, string> = new Map(
  electionAbi
    .filter((item) => item.type === "error")
    .map((item) => {
      const signature = `${item.name}(${item.inputs.map((input) => input.type).join(",")})`;
      return [keccak256(stringToHex(signature)).slice(0, 10) as Hex, item.name] as const;
    }),
);

export interface CastOutcome {
  transactionHash: Hash;
  blockNumber: bigint;
  accepted: {
    position: number;
    nullifier: Hex;
    sequence: bigint;
    ballotHash: Hex;
    runningHash: Hex;
  }[];
  rejected: { position: number; nullifier: Hex; ballotHash: Hex; reason: Hex; reasonName: string }[];
}

/** Reads which positions of a castBallots transaction were recorded and which were rejected, and why. */
export function castOutcomeFromReceipt(
  receipt: {
    transactionHash: Hash;
    blockNumber: bigint;
    logs: { address: Address; data: Hex; topics: [Hex, ...Hex[]] | [] }[];
  },
  election: Address,
): CastOutcome {
  const outcome: CastOutcome = {
    transactionHash: receipt.transactionHash,
    blockNumber: receipt.blockNumber,
    accepted: [],
    rejected: [],
  };
  const acceptedEvents: CastOutcome["accepted"] = [];
  for (const log of receipt.logs) {
    if (log.address.toLowerCase() !== election.toLowerCase()) continue;
    const event = decodeEventLog({ abi: electionAbi, data: log.data, topics: log.topics, strict: false });
    if (event.eventName === "BallotCast") {
      const a = event.args;
      acceptedEvents.push({
        position: -1,
        nullifier: a.nullifier!,
        sequence: a.sequence!,
        ballotHash: a.ballotHash!,
        runningHash: a.runningHash!,
      });
    } else if (event.eventName === "BallotRejected") {
      const a = event.args;
      outcome.rejected.push({
        position: Number(a.position!),
        nullifier: a.nullifier!,
        ballotHash: a.ballotHash!,
        reason: a.reason!,
        reasonName: electionErrorNames.get(a.reason!) ?? "unknown",
      });
    }
  }
  // BallotCast carries no position: accepted ballots are the positions not rejected, in order.
  const rejectedPositions = new Set(outcome.rejected.map((r) => r.position));
  let next = 0;
  for (const accepted of acceptedEvents) {
    while (rejectedPositions.has(next)) next++;
    outcome.accepted.push({ ...accepted, position: next++ });
  }
  return outcome;
}

export async function castBallots(
  wallet: AccountWalletClient,
  client: ChainPublicClient,
  election: Address,
  batch: SignedBallot[],
  options: { nonce?: number; gas?: bigint } = {},
): Promise<CastOutcome> {
  const hash = await wallet.writeContract({
    address: election,
    abi: electionAbi,
    functionName: "castBallots",
    args: [batch],
    nonce: options.nonce,
    gas: options.gas,
  });
  const receipt = await confirmed(client, hash);
  return castOutcomeFromReceipt(receipt, election);
}
