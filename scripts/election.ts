/**
 * The main job (`npm start`): a whole election, every actor through its real
 * component, on the embedded chain (or an external one with --config). Each
 * stage is one file in scripts/election/, read in this order:
 *
 *  0. chain.ts            the embedded Hardhat node, an external chain (--config) or the local network
 *  1. create-election.ts  the commission: factory, election from scripts/sample-manifest.json
 *                         (two districts, party list + district seat, three days, re-voting), roles
 *  2. ceremony.ts         5 trustees (threshold 3): encrypted key files, the key ceremony
 *  3. services.ts         registrar keys and voter roll; registrar, two relays, two observer nodes
 *  4. voting.ts           simulated voters (simulation.ts) sign in, get a credential and vote through
 *                         a relay over three days; some re-vote, some send invalid ballots that must be refused
 *  5. tally.ts            close, decrypt with two trustees absent, publish
 *  6. observers.ts        both observers verify and attest
 *  7. audit.ts            the record is exported and verified offline
 *  8. report.ts           the result beside the expected counts, as a table or JSON
 *
 *   npm start                              1,000 voters, progress on stderr, a report on stdout
 *   npm start -- --voters 5000 --seed 7    another electorate / simulation seed
 *   npm start -- --json                    the report as one JSON object on stdout, nothing else
 *   npm start -- --config FILE             an external chain (docs/besu/election.config.example.json)
 *   npm start -- --network local           the local permissioned network (npm run network, docs/network.md):
 *                                          every actor on a node of its own, a 5-minute real-time window
 *   npm start -- --manifest FILE           another election, e.g. scripts/manifests/voting-day-2027.json
 *                                          (six regions: federal list, district seats, regional lists, governors)
 *   npm start -- --out DIR                 where the record, reports and logs go (default out/election)
 *   npm start -- --help                    the options
 *
 * Exit codes as the ballot-ledger CLI (server/cli/errors.ts): 0 the election holds,
 * 2 usage or input error, 3 refused (e.g. the external node cannot be reached),
 * 4 a verification failed, 70 an unexpected error.
 */
import fs from "node:fs";
import path from "node:path";
import { CommanderError } from "commander";
import pino from "pino";
import { CliError, EXIT_USAGE, EXIT_VERIFICATION_FAILED } from "../server/cli/errors";
import { initCrypto } from "../server/protocol/primitives/sodium";
import { exportAndAudit } from "./election/audit";
import { openChain } from "./election/chain";
import { runKeyCeremony } from "./election/ceremony";
import { createSampleElection } from "./election/create-election";
import { parseOptions } from "./election/options";
import { observersAttest } from "./election/observers";
import { StageTimings } from "./election/progress";
import { electionHolds, printReport, type ElectionSummary } from "./election/report";
import { startServices, type Services } from "./election/services";
import { drawVoters, seededRandom } from "./election/simulation";
import { closeAndTally, PRESENT_TRUSTEES } from "./election/tally";
import { simulateVoting } from "./election/voting";

async function main(): Promise<void> {
  const options = parseOptions(process.argv);
  const outDir = path.resolve(options.out);
  const timings = new StageTimings();
  await initCrypto();
  // Before the chain starts: a folder that cannot be emptied (another run writing to it) stops the job here.
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const sub of ["trustees", "wallets", "services", "observers", "logs"])
    fs.mkdirSync(path.join(outDir, sub), { recursive: true });
  const chain = await openChain(options.config, options.network, options.voters, options.node);
  const logFile = path.join(outDir, "logs", "services.log");
  const logger = pino({ level: "info" }, pino.destination({ dest: logFile, sync: false }));
  const next = seededRandom(options.seed);
  let services: Services | null = null;
  try {
    const created = await createSampleElection(chain, options.manifest);
    timings.lap("createElection");
    const sessions = await runKeyCeremony(chain, created, outDir);
    timings.lap("keyCeremony");
    const voters = drawVoters(options.voters, created.manifest, next);
    services = await startServices(chain, created, voters, outDir, logger);
    timings.lap("services");
    const voting = await simulateVoting(chain, created, services, voters, next, outDir);
    timings.lap("voting");
    const published = await closeAndTally(chain, created, services, sessions);
    timings.lap("tally");
    const verdicts = await observersAttest(chain, services);
    timings.lap("observers");
    const audit = await exportAndAudit(chain, created.election, outDir);
    timings.lap("audit");

    const summary: ElectionSummary = {
      chainId: chain.endpoint.chainId,
      election: created.election,
      factory: created.factory,
      result: published.result,
      expected: voting.expected,
      resultMatchesExpected: JSON.stringify(published.result) === JSON.stringify(voting.expected),
      observers: verdicts,
      audit: { verdict: audit.report.holds ? "ok" : "fails", tallyHash: audit.report.tally?.hash ?? null },
      ballots: {
        cast: voting.cast,
        recorded: audit.report.ballots.recorded,
        counted: audit.report.ballots.counted,
        superseded: audit.report.ballots.superseded,
        revotes: voting.revotes,
        rejected: {
          byRelay: voting.rejectedByRelay,
          byContract: audit.report.ballots.rejectedByContract,
          excludedByObservers: audit.report.ballots.excluded,
        },
      },
      voters: options.voters,
      trustees: {
        n: created.manifest.trustees.count,
        t: created.manifest.trustees.threshold,
        present: PRESENT_TRUSTEES,
      },
      gasPerBallot: audit.gasPerBallot,
      votingBusySeconds: {
        voterThreads: voting.busy.voterThreadsSeconds,
        mainThread: voting.busy.mainThreadSeconds,
      },
      timings: { ...timings.seconds, totalSeconds: timings.totalSeconds() },
      peakRssMB: timings.peakRssMB,
      recordDir: audit.recordDir,
      reportFile: audit.reportFile,
      logFile,
    };
    printReport(summary, created.manifest, options.json);
    process.exitCode = electionHolds(summary) ? 0 : EXIT_VERIFICATION_FAILED;
  } finally {
    await services?.close();
    await chain.node?.stop();
    await chain.network?.stop();
    logger.flush();
  }
}

main().catch((error: unknown) => {
  // commander has printed its message (or the help, exit code 0); a usage error exits 2 as in the CLI.
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : EXIT_USAGE);
  if (error instanceof CliError) {
    console.error(`election: ${error.message}`);
    process.exit(error.exitCode);
  }
  console.error(
    `election: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(70);
});
