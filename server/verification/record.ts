import { hexToBytes } from "../protocol/primitives/bytes";
import type { ElectionRecord, RecordBallot } from "../protocol/record";
import { ZERO_RUNNING_HASH } from "../protocol/running-hash";
import { recoverAttestationSigners } from "./attestations";
import { startInspection, withChecker, type BallotInspection, type CheckerOptions } from "./inspection";
import { summarizeIssuances } from "./issuance";
import { inspectCancellations } from "./reconciliation";
import { verifyElection } from "./pipeline";
import type { LedgerBallot, Verification } from "./report";
import { electionRulesOf, headerOf } from "./rules";

/**
 * The whole verification of an election record held in memory: `audit
 * verify` (a folder read offline), every trustee before decrypting and the
 * commission before publishing (the record read from the chain). The
 * ballots are checked on every core (VerifierPool) when there are many, then
 * verifyElection runs exactly as in the observer.
 */
export interface RecordVerificationOptions extends CheckerOptions {
  /** Told about long steps (the trustee and commission tools print it). */
  progress?: (message: string) => void;
}

export function ledgerBallotOf(ballot: RecordBallot, inspection: BallotInspection): LedgerBallot {
  return {
    index: ballot.index,
    nullifier: ballot.nullifier,
    sequence: ballot.sequence,
    ballotHash: ballot.ballotHash,
    runningHash: ballot.runningHash,
    timestamp: ballot.timestamp,
    inspection,
  };
}

/** Ballots handed to the checker at once (progress is reported between chunks). */
const CHECK_CHUNK = 2_000;

export async function verifyElectionRecord(
  record: ElectionRecord,
  options: RecordVerificationOptions = {},
): Promise<Verification> {
  const header = headerOf(record);
  const rules = electionRulesOf(header);
  const inspections = await withChecker(rules, record.ballots.length, options, async (checker, threads) => {
    const all: BallotInspection[] = [];
    const started = Date.now();
    if (threads > 0)
      options.progress?.(`checking ${record.ballots.length} ballots on ${threads} worker threads`);
    // The next chunk is handed to the checker before this one is done, so the workers never wait.
    let previous = ZERO_RUNNING_HASH;
    const startChunk = (start: number) => {
      const inspection = startInspection(checker, record.ballots.slice(start, start + CHECK_CHUNK), previous);
      previous = inspection.lastRunningHash;
      return inspection.inspections;
    };
    let next = record.ballots.length > 0 ? startChunk(0) : null;
    for (let start = 0; next !== null; start += CHECK_CHUNK) {
      const current = next;
      next = start + CHECK_CHUNK < record.ballots.length ? startChunk(start + CHECK_CHUNK) : null;
      try {
        all.push(...(await current));
      } catch (error) {
        next?.catch(() => undefined);
        throw error;
      }
      if (record.ballots.length > CHECK_CHUNK) {
        const seconds = Math.max((Date.now() - started) / 1000, 0.001);
        options.progress?.(
          `checked ${all.length}/${record.ballots.length} ballots (${Math.round(all.length / seconds)}/s)`,
        );
      }
    }
    return all;
  });
  const ballots = record.ballots.map((ballot, i) => ledgerBallotOf(ballot, inspections[i]));
  const byIndex = new Map(record.ballots.map((ballot) => [ballot.index, ballot]));
  return verifyElection(
    {
      header,
      ballots,
      issuance: summarizeIssuances(record.issuances),
      rejectedByContract: countByReason(record.rejections),
      attestationSigners: await recoverAttestationSigners(header),
      ballotBytes: (indices) => indices.map((i) => hexToBytes(byIndex.get(i)!.ballot)),
      cancellationChecks: await inspectCancellations(rules, record.channels.cancellations),
    },
    { computeTally: true },
  );
}

export function countByReason(rejections: readonly { reason: string }[]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const r of rejections) counts.set(r.reason, (counts.get(r.reason) ?? 0) + 1);
  return counts;
}
