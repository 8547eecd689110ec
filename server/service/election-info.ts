import type { Address, Hex } from "viem";
import type { ChainPublicClient } from "../chain/deploy";
import { contextOfRecord, manifestOfRecord, readElectionRecord } from "../chain/election-reader";
import { findElectionCreated } from "../chain/election-reader";
import { electionAbi } from "../chain/generated/abis";
import type { ElectionContext } from "../protocol/context";
import { hexToBytes } from "../protocol/primitives/bytes";

/**
 * Where an election starts on chain, without reading its whole record
 * (a service restarting during voting must not replay every ballot):
 * the factory's ElectionCreated event for this election.
 */
export interface ElectionOrigin {
  factory: Address;
  creationBlock: bigint;
  /** The canonical manifest bytes posted at creation. */
  manifest: Hex;
}

export async function electionOrigin(client: ChainPublicClient, election: Address): Promise<ElectionOrigin> {
  const factory = await client.readContract({ address: election, abi: electionAbi, functionName: "factory" });
  const created = await findElectionCreated(
    client,
    factory,
    election,
    await client.getBlockNumber({ cacheTime: 0 }),
  );
  return { factory, creationBlock: created.blockNumber, manifest: created.args.manifest };
}

/** The registrar's RSA moduli per ballot style, from RegistrarKeySet events (the last per style wins). */
export async function registrarKeysOnChain(
  client: ChainPublicClient,
  election: Address,
  fromBlock: bigint,
  pageSize = 5_000n,
): Promise<Map<number, Hex>> {
  const head = await client.getBlockNumber();
  const keys = new Map<number, Hex>();
  for (let start = fromBlock; start <= head; start += pageSize) {
    const end = start + pageSize - 1n < head ? start + pageSize - 1n : head;
    const events = await client.getContractEvents({
      address: election,
      abi: electionAbi,
      eventName: "RegistrarKeySet",
      fromBlock: start,
      toBlock: end,
      strict: true,
    });
    for (const event of events) keys.set(event.args.style, event.args.rsaModulus);
  }
  return keys;
}

/** What a relay or a voter checks ballots against. */
export interface ElectionRules {
  context: ElectionContext;
  registrarKeys: Map<number, Uint8Array>;
  revotesAllowed: boolean;
  creationBlock: bigint;
}

/**
 * The election's context and registrar keys, read without replaying its
 * ballots: the record up to the block of JointKeyPublished (nothing can be
 * cast before it), and RegistrarKeySet events up to the head.
 */
export async function loadElectionRules(
  client: ChainPublicClient,
  election: Address,
): Promise<ElectionRules> {
  const origin = await electionOrigin(client, election);
  const head = await client.getBlockNumber();
  let jointKeyBlock: bigint | null = null;
  for (let from = origin.creationBlock; from <= head && jointKeyBlock === null; from += 5_000n) {
    const [published] = await client.getContractEvents({
      address: election,
      abi: electionAbi,
      eventName: "JointKeyPublished",
      fromBlock: from,
      toBlock: from + 4_999n < head ? from + 4_999n : head,
      strict: true,
    });
    if (published !== undefined) jointKeyBlock = published.blockNumber;
  }
  if (jointKeyBlock === null) throw new Error(`election ${election}: the key ceremony has not finished`);
  const record = await readElectionRecord(client, election, {
    fromBlock: origin.creationBlock,
    toBlock: jointKeyBlock,
  });
  const manifest = manifestOfRecord(record);
  if (!manifest.ok) throw new Error(`election ${election}: ${manifest.reason}`);
  const context = contextOfRecord(record, manifest.manifest);
  if (context === null) throw new Error(`election ${election}: the joint key or commitments do not decode`);
  const keys = await registrarKeysOnChain(client, election, origin.creationBlock);
  return {
    context,
    registrarKeys: new Map([...keys].map(([style, modulus]) => [style, hexToBytes(modulus)])),
    revotesAllowed: record.revotePolicy === "last-ballot-counts",
    creationBlock: origin.creationBlock,
  };
}
