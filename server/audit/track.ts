import { normalizeTrackingCode, trackingCode } from "../protocol/ballot";
import type { ElectionRecord } from "../protocol/record";
import { ZERO_RUNNING_HASH } from "../protocol/running-hash";
import { verdictsOf } from "../verification/ballots";
import { cancelledNullifiers } from "../verification/reconciliation";
import { directChecker, inspectBallots } from "../verification/inspection";
import { ledgerBallotOf } from "../verification/record";
import type { LedgerVerdict } from "../verification/report";
import { electionRulesOf, headerOf } from "../verification/rules";

/**
 * `audit track CODE`: finds the recorded ballots with a tracking code and says
 * whether each is counted, superseded by a later ballot of the same voter, or
 * excluded and why. A verdict depends only on the ballots under the same
 * nullifier, so only those are checked, with the same counting rules as the
 * full verification.
 */
export interface TrackedBallot {
  index: number;
  trackingCode: string;
  ballotHash: `0x${string}`;
  blockNumber: string;
  transactionHash: `0x${string}`;
  timestamp: number;
  sequence: string;
  verdict: LedgerVerdict;
}

export type TrackOutcome =
  | { ok: true; code: string; ballots: TrackedBallot[] }
  | { ok: false; reason: "invalid-code" | "no-context" | "not-found"; message: string };

export async function trackBallot(record: ElectionRecord, input: string): Promise<TrackOutcome> {
  const code = normalizeTrackingCode(input);
  if (code === null)
    return {
      ok: false,
      reason: "invalid-code",
      message: `"${input}" is not a tracking code (16 characters of Crockford base32, e.g. CM4F-4YRJ-2B16-8TBN)`,
    };
  const rules = electionRulesOf(headerOf(record));
  if (rules === null)
    return {
      ok: false,
      reason: "no-context",
      message: "the record has no valid joint key yet: no ballot to track",
    };
  const found = record.ballots.filter((ballot) => trackingCode(rules.context, ballot.ballotHash) === code);
  if (found.length === 0)
    return {
      ok: false,
      reason: "not-found",
      message: `no recorded ballot has tracking code ${code} (through block ${record.throughBlock})`,
    };
  const tracked: TrackedBallot[] = [];
  const checker = directChecker(rules);
  for (const ballot of found) {
    const group = record.ballots.filter((b) => b.nullifier.toLowerCase() === ballot.nullifier.toLowerCase());
    const inspections = await inspectBallots(checker, group, ZERO_RUNNING_HASH);
    const verdicts = verdictsOf(
      group.map((b, i) => ledgerBallotOf(b, inspections[i])),
      cancelledNullifiers(record.channels),
    );
    tracked.push({
      index: ballot.index,
      trackingCode: code,
      ballotHash: ballot.ballotHash,
      blockNumber: ballot.blockNumber,
      transactionHash: ballot.transactionHash,
      timestamp: ballot.timestamp,
      sequence: ballot.sequence,
      verdict: verdicts.find((v) => v.index === ballot.index)!,
    });
  }
  return { ok: true, code, ballots: tracked };
}

export function describeTracked(ballot: TrackedBallot): string {
  const where = `ballot ${ballot.index} (sequence ${ballot.sequence}, block ${ballot.blockNumber}, ${new Date(ballot.timestamp * 1000).toISOString()})`;
  const { verdict } = ballot;
  switch (verdict.status) {
    case "counted":
      return `${ballot.trackingCode}: ${where} is COUNTED`;
    case "superseded":
      if (verdict.supersededBy === null)
        return `${ballot.trackingCode}: ${where} is CANCELLED: the voter cancelled the online ballot at a precinct and voted on paper`;
      return `${ballot.trackingCode}: ${where} is SUPERSEDED by a re-vote (ballot ${verdict.supersededBy}, a later ballot of the same voter, counts instead)`;
    case "excluded":
      return `${ballot.trackingCode}: ${where} is EXCLUDED (${verdict.code}): ${verdict.reason}`;
  }
}
