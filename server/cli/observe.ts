import { Command } from "commander";
import { formatReport } from "../audit/report-text";
import { serveDashboard } from "../observer/dashboard";
import { Observer, ObserverError } from "../observer/observer";
import { initCrypto } from "../protocol/primitives/sodium";
import {
  connectTo,
  mapped,
  parseAddress,
  parsePositiveInteger,
  readPrivateKeyFile,
  rpcUrlOf,
  usageErrorsExit2,
} from "./chain-options";
import { CliError, EXIT_USAGE, EXIT_VERIFICATION_FAILED } from "./errors";

/**
 * `ballot-ledger observe`: the observer node (docs/observer.md).
 *
 *   observe --rpc URL --election ADDR --data DIR [--port P] [--confirmations N] [--key-file F] [--once]
 *
 * Without --once it follows the election until SIGINT/SIGTERM and serves the
 * dashboard on http://HOST:PORT/ (JSON at /api/status, metrics at /metrics).
 * With --once it follows to the current head, prints the report (JSON with
 * --json) and exits 0 only when every check holds (4 otherwise).
 */
interface ObserveOptions {
  rpc?: string;
  election: string;
  data: string;
  port: string;
  host: string;
  confirmations: string;
  keyFile?: string;
  once?: boolean;
  json?: boolean;
  threads?: string;
  pollInterval: string;
  pageSize: string;
  post: boolean;
}

const progress = (line: string) => process.stderr.write(`• ${line}\n`);

export async function observeCommand(): Promise<Command> {
  const command = new Command("observe")
    .description(
      "follow an election from a JSON-RPC node, verify everything, serve a dashboard, attest the result",
    )
    .option("--rpc <url>", "the node's JSON-RPC URL (or BALLOT_LEDGER_RPC)")
    .requiredOption("--election <address>", "the election contract")
    .requiredOption("--data <dir>", "the observer's index (SQLite) and attestation; created if missing")
    .option("--port <port>", "dashboard port", "8090")
    .option("--host <host>", "dashboard address to listen on", "127.0.0.1")
    .option("--confirmations <n>", "blocks to stay behind the head", "0")
    .option(
      "--key-file <path>",
      "the observer's private key (0x hex): signs, and posts when it holds the observer role",
    )
    .option("--no-post", "sign the attestation but never post it on chain")
    .option("--once", "follow to the current head, print the report, exit (0 only when everything holds)")
    .option("--json", "with --once: the report as JSON")
    .option("--threads <n>", "verifier threads (default: every core; 0: main thread only)")
    .option("--poll-interval <ms>", "pause between rounds", "2000")
    .option("--page-size <blocks>", "blocks per eth_getLogs call", "2000")
    .action(
      mapped(async (options: ObserveOptions) => {
        await initCrypto();
        const election = parseAddress(options.election, "--election");
        const port = parsePositiveInteger(options.port, "--port");
        if (port > 65535) throw new CliError(`--port must be at most 65535, got ${port}`, EXIT_USAGE);
        const pageSize = parsePositiveInteger(options.pageSize, "--page-size");
        if (pageSize < 1) throw new CliError("--page-size must be at least 1", EXIT_USAGE);
        const endpoint = await connectTo(rpcUrlOf(options.rpc));
        let observer: Observer;
        try {
          observer = await Observer.open({
            endpoint,
            election,
            dataDir: options.data,
            confirmations: parsePositiveInteger(options.confirmations, "--confirmations"),
            pageSize: BigInt(pageSize),
            pollIntervalMs: Math.max(100, parsePositiveInteger(options.pollInterval, "--poll-interval")),
            observerKey: options.keyFile === undefined ? undefined : readPrivateKeyFile(options.keyFile),
            postAttestation: options.post,
            threads:
              options.threads === undefined ? undefined : parsePositiveInteger(options.threads, "--threads"),
          });
        } catch (error) {
          if (error instanceof ObserverError) throw new CliError(error.message, EXIT_USAGE);
          throw error;
        }
        if (options.once) {
          try {
            const started = performance.now();
            const synced = await observer.sync();
            const verification = observer.verify(true);
            const attestation = await observer.attest(verification);
            const seconds = (performance.now() - started) / 1000;
            progress(
              `indexed through block ${synced.lastBlock} (${synced.ballotsIndexed} new ballots, ${synced.ballotsChecked} checked) in ${seconds.toFixed(1)} s`,
            );
            if (options.json) console.log(JSON.stringify({ ...verification.report, attestation }, null, 2));
            else {
              console.log(formatReport(verification.report));
              if (attestation !== null)
                console.log(
                  `attestation signed by ${attestation.signer} (tally ${attestation.tallyHash}, result matches: ${attestation.resultMatches}): ${attestation.onChain}`,
                );
            }
            if (!verification.report.holds)
              throw new CliError("verification failed: see the findings above", EXIT_VERIFICATION_FAILED);
          } finally {
            await observer.close();
          }
          return;
        }
        const dashboard = await serveDashboard(observer, options.host, port);
        progress(`observing ${election} on chain ${endpoint.chainId}; dashboard at ${dashboard.url}/`);
        const stop = () => observer.stop();
        process.once("SIGINT", stop);
        process.once("SIGTERM", stop);
        try {
          await observer.run();
        } finally {
          process.off("SIGINT", stop);
          process.off("SIGTERM", stop);
          await dashboard.close();
          await observer.close();
          progress("stopped");
        }
      }),
    );
  return usageErrorsExit2(command);
}
