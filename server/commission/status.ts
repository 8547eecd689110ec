import type { Address, Hex } from "viem";
import type { ChainPublicClient } from "../chain/deploy";
import { currentRound } from "../chain/election-reader";
import { electionAbi } from "../chain/generated/abis";
import { currentPhase, type PhaseName } from "../trustee/session";
import { withSpooledElection, type SpooledElection } from "../trustee/spool";

/** What the commission (or anyone) sees of an election at a glance: `commission status`. */
export interface ElectionStatus {
  election: Address;
  electionId: string;
  phase: PhaseName;
  paused: boolean;
  opensAt: string;
  closesAt: string;
  revotePolicy: string;
  trustees: { count: number; threshold: number };
  ceremony: {
    round: number;
    trustees: Address[];
    keysPosted: number[];
    sharesPosted: number[];
    complaints: { complainer: number; accused: number }[];
    confirmed: number[];
    jointKey: Hex | null;
  };
  registrarKeyStyles: number[];
  issued: number;
  ballots: number;
  rejected: number;
  decryptionShares: { trusteeIndex: number; aggregateHash: Hex }[];
  result: { resultHash: Hex; result: unknown } | null;
  attestations: number;
  throughBlock: string;
}

const iso = (seconds: number) => new Date(seconds * 1000).toISOString();

export async function electionStatus(client: ChainPublicClient, election: Address): Promise<ElectionStatus> {
  // The long lists are counted from the spool (server/trustee/spool.ts), not held in memory.
  return withSpooledElection(client, election, (loaded) => statusOf(client, election, loaded));
}

async function statusOf(
  client: ChainPublicClient,
  election: Address,
  loaded: SpooledElection,
): Promise<ElectionStatus> {
  const { header: record, manifest } = loaded;
  const { counts } = loaded.source;
  const round = currentRound(record);
  const paused = await client.readContract({ address: election, abi: electionAbi, functionName: "paused" });
  let result: unknown = null;
  if (record.result !== null) {
    try {
      result = JSON.parse(record.result.result);
    } catch {
      result = record.result.result;
    }
  }
  return {
    election,
    electionId: manifest.electionId,
    phase: await currentPhase(client, election),
    paused,
    opensAt: iso(record.opensAt),
    closesAt: iso(record.closesAt),
    revotePolicy: record.revotePolicy,
    trustees: { count: record.trusteeCount, threshold: record.threshold },
    ceremony: {
      round: round.round,
      trustees: round.trustees,
      keysPosted: round.keys.map((k) => k.trusteeIndex).sort((a, b) => a - b),
      sharesPosted: round.shares.map((s) => s.trusteeIndex).sort((a, b) => a - b),
      complaints: round.complaints.map(({ complainer, accused }) => ({ complainer, accused })),
      confirmed: round.confirmations.map((c) => c.trusteeIndex).sort((a, b) => a - b),
      jointKey: round.jointKey,
    },
    registrarKeyStyles: record.registrarKeys.map((k) => k.style),
    issued: counts.issuances,
    ballots: counts.ballots,
    rejected: counts.rejections,
    decryptionShares: record.decryptionShares.map(({ trusteeIndex, aggregateHash }) => ({
      trusteeIndex,
      aggregateHash,
    })),
    result: record.result === null ? null : { resultHash: record.result.resultHash, result },
    attestations: record.attestations.length,
    throughBlock: record.throughBlock,
  };
}
