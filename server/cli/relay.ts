import { Command } from "commander";
import { BoothFilesError } from "../booth/booth-files";
import { startRelay } from "../relay/app";
import { readRelayConfig } from "../relay/config";
import { ConfigError } from "../service/config-file";
import { connectTo, mapped, readPrivateKeyFile, rpcUrlOf, usageErrorsExit2 } from "./chain-options";
import { CliError, EXIT_USAGE } from "./errors";
import { runUntilSignal, serviceLogger } from "./service-runner";

/**
 * `ballot-ledger relay serve --config FILE`: the relay service (docs/api.md).
 * BALLOT_LEDGER_RELAY_CRASH_POINT=after-mark-sent|after-broadcast makes it
 * kill itself at that point of the first batch (fault injection for the
 * crash tests; never set it in production).
 */
export const CRASH_POINT_ENV = "BALLOT_LEDGER_RELAY_CRASH_POINT";

export async function relayCommand(): Promise<Command> {
  const command = new Command("relay").description(
    "the relay service: validates ballots, queues them durably, casts them in batches",
  );
  command
    .command("serve")
    .description("run the relay HTTP service")
    .requiredOption("--config <file>", "relay configuration (JSON)")
    .option("--rpc <url>", "node URL (overrides the configuration)")
    .action(
      mapped(async (options: { config: string; rpc?: string }) => {
        let loaded;
        try {
          loaded = readRelayConfig(options.config);
        } catch (error) {
          throw error instanceof ConfigError ? new CliError(error.message, EXIT_USAGE) : error;
        }
        const endpoint = {
          ...(await connectTo(rpcUrlOf(options.rpc ?? loaded.rpcUrl))),
          fallbackUrls: loaded.fallbackRpcUrls,
        };
        const accountKey = readPrivateKeyFile(loaded.accountKeyFile);
        const crashPoint = process.env[CRASH_POINT_ENV];
        if (crashPoint !== undefined && crashPoint !== "after-mark-sent" && crashPoint !== "after-broadcast")
          throw new CliError(`${CRASH_POINT_ENV} must be after-mark-sent or after-broadcast`, EXIT_USAGE);
        const logger = serviceLogger("relay", loaded.logLevel);
        const running = await startRelay(
          { ...loaded.config, endpoint, accountKey, logger, crashPoint },
          loaded.listen,
        ).catch((error: unknown) => {
          // The booth is configured but not built (or changed after the build): say what to run.
          throw error instanceof BoothFilesError ? new CliError(error.message, EXIT_USAGE) : error;
        });
        await runUntilSignal(
          running,
          { election: loaded.config.election, relay: running.app.relay.address },
          logger,
        );
      }),
    );
  return usageErrorsExit2(command);
}
