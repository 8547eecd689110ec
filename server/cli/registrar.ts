import fs from "node:fs";
import { Command, Option } from "commander";
import { keccak256 } from "viem";
import { publicClientFor, walletClientFor } from "../chain/clients";
import { generateRegistrarKey } from "../protocol/credential-issuer";
import { startRegistrar } from "../registrar/app";
import { readRegistrarConfig } from "../registrar/config";
import { publishRegistrarKeys, RegistrarKeyError } from "../registrar/keys";
import { hashRoll, parseRollCsv, RollError, rollToCsv } from "../registrar/roll";
import { ConfigError } from "../service/config-file";
import {
  connectTo,
  mapped,
  parsePositiveInteger,
  readPrivateKeyFile,
  rpcUrlOf,
  usageErrorsExit2,
  writeNewFile,
} from "./chain-options";
import { CliError, EXIT_USAGE } from "./errors";
import { runUntilSignal, serviceLogger } from "./service-runner";

/**
 * `ballot-ledger registrar ...`: the registrar service and its setup.
 *
 *   serve --config FILE                  run the HTTP service (docs/api.md)
 *   set-keys --config FILE               put the RSA moduli of every style on chain (before opening)
 *   gen-key --out FILE [--bits 2048]     a new RSA key for one ballot style (PEM, mode 0600)
 *   hash-roll --in PLAIN.csv --out ROLL.csv   replace one-time codes by their scrypt hashes
 */
const asUsage = (error: unknown): unknown =>
  error instanceof ConfigError || error instanceof RollError || error instanceof RegistrarKeyError
    ? new CliError(error.message, EXIT_USAGE)
    : error;

async function loadConfig(file: string, rpc: string | undefined) {
  let loaded;
  try {
    loaded = readRegistrarConfig(file);
  } catch (error) {
    throw asUsage(error);
  }
  const endpoint = await connectTo(rpcUrlOf(rpc ?? loaded.rpcUrl));
  return { loaded, endpoint, accountKey: readPrivateKeyFile(loaded.accountKeyFile) };
}

export async function registrarCommand(): Promise<Command> {
  const command = new Command("registrar").description(
    "the registrar service: authenticates voters, journals issuance, blind-signs",
  );
  command
    .command("serve")
    .description("run the registrar HTTP service")
    .requiredOption("--config <file>", "registrar configuration (JSON)")
    .option("--rpc <url>", "node URL (overrides the configuration)")
    .action(
      mapped(async (options: { config: string; rpc?: string }) => {
        const { loaded, endpoint, accountKey } = await loadConfig(options.config, options.rpc);
        const logger = serviceLogger("registrar", loaded.logLevel);
        const running = await startRegistrar(
          { ...loaded.config, endpoint, accountKey, logger },
          loaded.listen,
        );
        await runUntilSignal(running, { election: loaded.config.election }, logger);
      }),
    );
  command
    .command("set-keys")
    .description("publish the registrar's RSA moduli on chain (setRegistrarKey, before voting opens)")
    .requiredOption("--config <file>", "registrar configuration (JSON)")
    .option("--rpc <url>", "node URL (overrides the configuration)")
    .action(
      mapped(async (options: { config: string; rpc?: string }) => {
        const { loaded, endpoint, accountKey } = await loadConfig(options.config, options.rpc);
        const published = await publishRegistrarKeys(
          walletClientFor(endpoint, accountKey),
          publicClientFor(endpoint),
          loaded.config.election,
          loaded.config.keys,
        );
        for (const key of published)
          console.log(`style ${key.style}: ${key.keyHash} ${key.changed ? "published" : "already on chain"}`);
      }),
    );
  command
    .command("gen-key")
    .description("generate an RSA key for one ballot style")
    .requiredOption("--out <file>", "PEM file to create (mode 0600)")
    .addOption(new Option("--bits <bits>", "modulus size").choices(["2048", "3072", "4096"]).default("2048"))
    .action(
      mapped(async (options: { out: string; bits: string }) => {
        const key = generateRegistrarKey(Number(options.bits) as 2048 | 3072 | 4096);
        writeNewFile(options.out, key.privateKey.export({ format: "pem", type: "pkcs8" }).toString());
        console.log(`${options.out}: RSA-${options.bits}, modulus hash ${keccak256(key.modulus)}`);
      }),
    );
  command
    .command("hash-roll")
    .description("turn a plain roll (voterId,style,code) into the service's roll (voterId,style,codeHash)")
    .requiredOption("--in <file>", "plain CSV with the header voterId,style,code")
    .requiredOption("--out <file>", "roll CSV to create")
    .option("--cost <log2N>", "scrypt cost as log2(N), 10-20", "15")
    .action(
      mapped(async (options: { in: string; out: string; cost: string }) => {
        const cost = parsePositiveInteger(options.cost, "--cost");
        if (cost < 10 || cost > 20) throw new CliError("--cost must be between 10 and 20", EXIT_USAGE);
        let text: string;
        try {
          text = fs.readFileSync(options.in, "utf8");
        } catch (error) {
          throw new CliError(
            `cannot read ${options.in}: ${(error as NodeJS.ErrnoException).code}`,
            EXIT_USAGE,
          );
        }
        try {
          const rows = parseRollCsv(text).map((row) => ({
            voterId: String(row.voterId ?? ""),
            style: Number(row.style),
            code: String(row.code ?? ""),
          }));
          const entries = await hashRoll(rows, cost);
          writeNewFile(options.out, rollToCsv(entries));
          console.log(`${options.out}: ${entries.length} voters`);
        } catch (error) {
          throw asUsage(error);
        }
      }),
    );
  return usageErrorsExit2(command);
}
