import path from "node:path";
import { Command } from "commander";
import { CombinedFollower, serveCombined, type FollowedElection } from "../audit/combine-follow";
import { initCrypto } from "../protocol/primitives/sodium";
import { connectTo, mapped, parseAddress, parsePositiveInteger, usageErrorsExit2 } from "./chain-options";
import { CliError, EXIT_USAGE, EXIT_VERIFICATION_FAILED } from "./errors";
import { runUntilSignal, serviceLogger } from "./service-runner";

/**
 * `ballot-ledger observe-combined`: several elections (one per region or
 * platform) followed in one process, each by its own observer index, with
 * one page showing each and their combined result (docs/protocol.md 12).
 *
 *   observe-combined --follow LABEL=RPC_URL,ELECTION --follow ... --data-dir DIR [--once] [--port 8095]
 *
 * --once follows every chain to its head, prints the view as JSON and exits:
 * 0 with a combined result, 4 when the combination is refused.
 */
const collect = (value: string, previous: string[]) => [...previous, value];

function parseFollow(value: string): { label: string; rpcUrl: string; election: string } {
  const match = /^([a-z0-9][a-z0-9-]{0,63})=(https?:\/\/[^,]+),(0x[0-9a-fA-F]{40})$/.exec(value);
  if (match === null)
    throw new CliError(
      `--follow must be LABEL=RPC_URL,ELECTION (label of a-z, 0-9 and -), got ${value}`,
      EXIT_USAGE,
    );
  return { label: match[1], rpcUrl: match[2], election: match[3] };
}

export async function observeCombinedCommand(): Promise<Command> {
  const command = new Command("observe-combined")
    .description("follow several elections in one process and serve each with their combined result")
    .option("--follow <label=rpc,election>", "an election to follow (twice or more)", collect, [])
    .requiredOption("--data-dir <dir>", "where each election's observer index goes (one subfolder per label)")
    .option("--once", "follow to the heads, print the view as JSON, exit (0 combined, 4 refused)")
    .option("--port <port>", "page port", "8095")
    .option("--host <host>", "page address to listen on", "127.0.0.1")
    .option("--interval <seconds>", "pause between rounds of following", "5")
    .option("--log-level <level>", "log level", "info")
    .action(
      mapped(
        async (options: {
          follow: string[];
          dataDir: string;
          once?: boolean;
          port: string;
          host: string;
          interval: string;
          logLevel: string;
        }) => {
          await initCrypto();
          const parsed = options.follow.map(parseFollow);
          if (parsed.length < 2) throw new CliError("give --follow at least twice", EXIT_USAGE);
          if (new Set(parsed.map((p) => p.label)).size !== parsed.length)
            throw new CliError("each --follow needs its own label", EXIT_USAGE);
          const port = parsePositiveInteger(options.port, "--port");
          const interval = parsePositiveInteger(options.interval, "--interval");
          const elections: FollowedElection[] = [];
          for (const p of parsed)
            elections.push({
              label: p.label,
              endpoint: await connectTo(p.rpcUrl),
              election: parseAddress(p.election, `--follow ${p.label}`),
              dataDir: path.join(options.dataDir, p.label),
            });
          const logger = serviceLogger("observe-combined", options.logLevel);
          const follower = await CombinedFollower.open(elections, logger);
          if (options.once) {
            try {
              await follower.sync();
              const view = follower.view();
              console.log(JSON.stringify(view, null, 2));
              if (!view.combined.ok)
                throw new CliError(
                  `combination refused (${view.combined.code}): ${view.combined.reason}`,
                  EXIT_VERIFICATION_FAILED,
                );
            } finally {
              await follower.close();
            }
            return;
          }
          let stopping = false;
          const loop = (async () => {
            while (!stopping) {
              await follower
                .sync()
                .catch((error) => logger.error({ err: error }, "a round of following failed"));
              await new Promise((resolve) => setTimeout(resolve, interval * 1000));
            }
          })();
          const running = await serveCombined(follower, options.host, port);
          await runUntilSignal(running, { elections: parsed.map((p) => p.label) }, logger);
          stopping = true;
          await loop;
          await follower.close();
        },
      ),
    );
  return usageErrorsExit2(command);
}
