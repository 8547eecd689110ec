import type { Address, Hex } from "viem";
import type { ChainPublicClient } from "../chain/deploy";
import { readElectionRecord } from "../chain/election-reader";
import { findElectionCreated } from "../chain/election-reader";
import { electionAbi } from "../chain/generated/abis";
import { findInLogPages, readLogPages } from "../chain/log-pages";
import { electionRulesOf, headerOf, type ElectionRules as VerificationRules } from "../verification/rules";

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
  pageSize?: bigint,
): Promise<Map<number, Hex>> {
  const events = await readLogPages({ fromBlock, toBlock: await client.getBlockNumber(), pageSize }, (page) =>
    client.getContractEvents({
      address: election,
      abi: electionAbi,
      eventName: "RegistrarKeySet",
      ...page,
      strict: true,
    }),
  );
  const keys = new Map<number, Hex>();
  for (const event of events) keys.set(event.args.style, event.args.rsaModulus);
  return keys;
}

/** What a relay or a voter checks ballots against: the one ElectionRules (server/verification/rules.ts). */
export type ElectionRules = VerificationRules & { creationBlock: bigint };

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
  const published = await findInLogPages(
    { fromBlock: origin.creationBlock, toBlock: head },
    async (page) =>
      (
        await client.getContractEvents({
          address: election,
          abi: electionAbi,
          eventName: "JointKeyPublished",
          ...page,
          strict: true,
        })
      )[0],
  );
  if (published === undefined) throw new Error(`election ${election}: the key ceremony has not finished`);
  const jointKeyBlock = published.blockNumber;
  const record = await readElectionRecord(client, election, {
    fromBlock: origin.creationBlock,
    toBlock: jointKeyBlock,
  });
  // Registrar keys may be set until voting opens: the last of each style up to the head.
  const keys = await registrarKeysOnChain(client, election, origin.creationBlock);
  record.registrarKeys = [...keys]
    .map(([style, modulus]) => ({ style, modulus }))
    .sort((a, b) => a.style - b.style);
  const rules = electionRulesOf(headerOf(record));
  if (rules === null)
    throw new Error(
      `election ${election}: the manifest does not parse, or the joint key's ceremony round does not give a context`,
    );
  return { ...rules, creationBlock: origin.creationBlock };
}
