import type { Manifest } from "../../server/protocol/manifest";
import type { Counts } from "./simulation";
import type { ObserverVerdict } from "./observers";

/**
 * The end of the main job: the report on stdout, as a table for a person or
 * as one JSON object with --json (the fields README.md lists).
 */
export interface ElectionSummary {
  chainId: number;
  election: string;
  factory: string;
  result: Counts;
  expected: Counts;
  resultMatchesExpected: boolean;
  observers: ObserverVerdict[];
  audit: { verdict: "ok" | "fails"; tallyHash: string | null };
  ballots: {
    cast: number;
    recorded: number;
    counted: number;
    superseded: number;
    revotes: number;
    rejected: { byRelay: Record<string, number>; byContract: unknown; excludedByObservers: unknown };
  };
  voters: number;
  trustees: { n: number; t: number; present: number[] };
  gasPerBallot: { transactions: number; average: number; ballotsPerTransaction: number };
  /** The voting stage's busy seconds: the voter-device threads, and the services' main thread. */
  votingBusySeconds: { voterThreads: number[]; mainThread: number };
  timings: Record<string, number>;
  /** This process's (every service, observer, trustee and simulated voter's) peak RSS after each stage, MB. */
  peakRssMB: Record<string, number>;
  recordDir: string;
  reportFile: string;
  logFile: string;
}

/** The election holds when the result equals the simulation's and every verifier agrees. */
export const electionHolds = (s: ElectionSummary): boolean =>
  s.resultMatchesExpected && s.observers.every((o) => o.verdict === "ok") && s.audit.verdict === "ok";

export function printReport(s: ElectionSummary, manifest: Manifest, json: boolean): void {
  if (json) {
    console.log(JSON.stringify(s));
    return;
  }
  console.log(`election ${s.election}: result published and verified\n`);
  console.log("| contest | option | published | expected |");
  console.log("|---|---|---:|---:|");
  for (const contest of manifest.contests)
    for (const option of contest.options)
      console.log(
        `| ${contest.id} | ${option.id} | ${s.result[contest.id]?.[option.id]} | ${s.expected[contest.id][option.id]} |`,
      );
  console.log(`\npublished = expected: ${s.resultMatchesExpected ? "yes" : "NO"}`);
  s.observers.forEach((o, i) => console.log(`observer ${i + 1}: ${o.verdict}, tally hash ${o.tallyHash}`));
  console.log(`offline audit of the exported record: ${s.audit.verdict}`);
  console.log(
    `ballots: ${s.ballots.cast} cast, ${s.ballots.recorded} recorded, ${s.ballots.counted} counted, ${s.ballots.superseded} superseded (${s.ballots.revotes} re-votes); refused: ${JSON.stringify(s.ballots.rejected)}`,
  );
  console.log(
    `gas per ballot: ${s.gasPerBallot.average} (${s.gasPerBallot.transactions} castBallots transactions, ${s.gasPerBallot.ballotsPerTransaction} ballots each)`,
  );
  console.log(`timings (s): ${JSON.stringify(s.timings)}`);
  console.log(
    `voting stage, busy (s): voter threads ${s.votingBusySeconds.voterThreads.join(", ")}, main thread ${s.votingBusySeconds.mainThread}`,
  );
  console.log(`peak RSS after each stage (MB): ${JSON.stringify(s.peakRssMB)}`);
  console.log(`record: ${s.recordDir}\nreport: ${s.reportFile}\nlogs:   ${s.logFile}`);
}
