import { Command, CommanderError } from "commander";
import { auditCommand } from "./audit";
import { boothCommand } from "./booth";
import { commissionCommand } from "./commission";
import { CliError } from "./errors";
import { observeCommand } from "./observe";
import { observeCombinedCommand } from "./observe-combined";
import { journalCommand, precinctCommand } from "./precinct";
import { trusteeCommand } from "./trustee";
import { voterServiceCommands } from "./vote";

/**
 * The `ballot-ledger` command line: one subcommand per actor. Each actor's
 * module exports a function that builds its commander subcommand; this file
 * only mounts them and turns errors into a message and a non-zero exit.
 */
const actorCommands: Array<() => Promise<Command>> = [
  commissionCommand,
  trusteeCommand,
  observeCommand,
  observeCombinedCommand,
  auditCommand,
  boothCommand,
  precinctCommand,
  journalCommand,
  ...voterServiceCommands,
];

async function main(argv: string[]): Promise<void> {
  const program = new Command("ballot-ledger")
    .description(
      "Verifiable remote e-voting ledger: commission, trustee, registrar, relay, voter, observer and audit tools",
    )
    .version(require("../../package.json").version)
    .showHelpAfterError()
    .exitOverride();
  for (const build of actorCommands) program.addCommand(await build());
  await program.parseAsync(argv);
}

main(process.argv).catch((error: unknown) => {
  // Commander exits 0 for --help and --version and 1 for every usage error; usage is 2 here (README).
  if (error instanceof CommanderError) process.exit(error.exitCode === 0 ? 0 : 2);
  if (error instanceof CliError) {
    console.error(`ballot-ledger: ${error.message}`);
    process.exit(error.exitCode);
  }
  console.error(
    `ballot-ledger: unexpected error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`,
  );
  process.exit(70);
});
