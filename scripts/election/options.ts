import path from "node:path";
import { Command, InvalidArgumentError } from "commander";
import type { LocalNodeKind } from "../../server/chain/local-node";

/**
 * The main job's command line, with the conventions of the `ballot-ledger`
 * CLI (server/cli/): commander, `--help`, one-line errors, exit code 2 for
 * usage errors (server/cli/errors.ts).
 */
export interface ElectionOptions {
  /** Size of the simulated electorate. */
  voters: number;
  /** Seed of the simulation's generator: the same seed draws the same choices. */
  seed: number;
  /** Print the report as one JSON object on stdout and nothing else. */
  json: boolean;
  /** An external chain's configuration file (docs/besu/election.config.example.json), or null for the embedded chain. */
  config: string | null;
  /** Where the record, reports and logs go. */
  out: string;
  /** The election's manifest (its voting window is replaced by the run's). */
  manifest: string;
  /** The local permissioned network's folder (--network local: out/network), or null. */
  network: string | null;
  /** Which development node is the embedded chain (no --config, no --network). */
  node: LocalNodeKind;
}

function integerBetween(min: number, max: number) {
  return (value: string): number => {
    if (!/^-?[0-9]+$/.test(value)) throw new InvalidArgumentError(`must be an integer, got ${value}`);
    const n = Number(value);
    if (n < min || n > max)
      throw new InvalidArgumentError(
        `must be between ${min.toLocaleString("en")} and ${max.toLocaleString("en")}`,
      );
    return n;
  };
}

export function electionCommand(): Command {
  return new Command("election")
    .usage("[options]   (npm start -- [options])")
    .description(
      "The main job: a whole election, every actor through its real component, on the embedded chain " +
        "(a Hardhat node it starts) or an external one with --config. Progress on stderr, the report on stdout.",
    )
    .option(
      "--voters <n>",
      "size of the simulated electorate (10 to 1,000,000)",
      integerBetween(10, 1_000_000),
      1000,
    )
    .option(
      "--seed <n>",
      "seed of the simulation: the same seed draws the same choices",
      integerBetween(-(2 ** 31), 2 ** 31),
      1,
    )
    .option("--json", "print the report as one JSON object on stdout, nothing else", false)
    .option("--config <file>", "an external chain (format: docs/besu/election.config.example.json)")
    .option(
      "--network <name>",
      "run on the local permissioned network of `npm run network` (the only name: local; docs/network.md)",
      (value: string) => {
        if (value !== "local") throw new InvalidArgumentError(`the only network is "local", got ${value}`);
        return value;
      },
    )
    .option(
      "--node <kind>",
      "the embedded chain's node: hardhat (Hardhat's node) or anvil (Foundry's, lighter for large electorates)",
      (value: string) => {
        if (value !== "hardhat" && value !== "anvil")
          throw new InvalidArgumentError(`must be hardhat or anvil, got ${value}`);
        return value;
      },
    )
    .option("--out <dir>", "where the record, reports and logs go", "out/election")
    .option(
      "--manifest <file>",
      "the election's manifest (e.g. scripts/manifests/voting-day-2027.json: six regions, several levels)",
      path.join(__dirname, "..", "sample-manifest.json"),
    )
    .addHelpText(
      "after",
      "\nExit codes: 0 the published result equals the simulation's and every verifier agrees,\n" +
        "2 usage or input error, 3 refused (the external node cannot be reached), 4 a verification failed,\n" +
        "70 an unexpected error.",
    )
    .showHelpAfterError("(npm start -- --help for the options)")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`election: ${text.replace(/^error: /, "")}`) });
}

/** Parses argv (process.argv: node, script, then the options) into the election's options. */
export function parseOptions(argv: readonly string[]): ElectionOptions {
  const command = electionCommand();
  command.parse(argv);
  const parsed = command.opts<{
    voters: number;
    seed: number;
    json: boolean;
    config?: string;
    network?: string;
    node?: LocalNodeKind;
    out: string;
    manifest: string;
  }>();
  if (parsed.config !== undefined && parsed.network !== undefined)
    command.error("--config and --network exclude each other", { exitCode: 2 });
  if (parsed.node !== undefined && (parsed.config !== undefined || parsed.network !== undefined))
    command.error("--node chooses the embedded chain: not with --config or --network", { exitCode: 2 });
  return {
    voters: parsed.voters,
    seed: parsed.seed,
    json: parsed.json,
    config: parsed.config ?? null,
    network: parsed.network === undefined ? null : path.resolve("out", "network"),
    node: parsed.node ?? "hardhat",
    out: parsed.out,
    manifest: parsed.manifest,
  };
}
