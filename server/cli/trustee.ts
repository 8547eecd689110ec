import { Command, Option } from "commander";
import { initCrypto } from "../protocol/primitives/sodium";
import { runCeremony, type CeremonyOutcome } from "../trustee/ceremony-step";
import { runDecryption } from "../trustee/decrypt";
import { initTrustee } from "../trustee/init";
import { KDF_INTERACTIVE, KDF_MODERATE, TrusteeKeystore } from "../trustee/keystore";
import { openTrusteeSession } from "../trustee/session";
import {
  connectTo,
  mapped,
  parseAddress,
  parsePositiveInteger,
  readPassphrase,
  readPrivateKeyFile,
  rpcUrlOf,
  usageErrorsExit2,
  writeNewPrivateKeyFile,
} from "./chain-options";
import { CliError, EXIT_USAGE, EXIT_VERIFICATION_FAILED } from "./errors";

/**
 * `ballot-ledger trustee ...`: the trustee's tool (docs/trustees.md).
 *
 *   new-account  --private-key-file PATH                        a fresh Ethereum account for the trustee
 *   init         --rpc URL --election ADDR --key-file PATH --private-key-file PATH
 *   ceremony     --rpc URL --key-file PATH                      next steps of the key ceremony (idempotent)
 *   decrypt      --rpc URL --key-file PATH [--threads N]        post the decryption share (idempotent)
 *
 * The passphrase comes from --passphrase-file PATH or BALLOT_LEDGER_PASSPHRASE;
 * the node from --rpc or BALLOT_LEDGER_RPC. Progress goes to stderr, the
 * outcome to stdout (--json for one JSON object).
 */
const progress = (line: string) => process.stderr.write(`• ${line}\n`);

const json = (value: unknown) =>
  JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v), 2);

interface SessionOptions {
  rpc?: string;
  keyFile: string;
  passphraseFile?: string;
  election?: string;
  json?: boolean;
}

async function openSession(options: SessionOptions) {
  await initCrypto();
  const rpcUrl = rpcUrlOf(options.rpc);
  const passphrase = readPassphrase(options.passphraseFile);
  const keystore = TrusteeKeystore.open(options.keyFile, passphrase);
  if (options.election !== undefined) {
    const expected = parseAddress(options.election, "--election");
    if (expected.toLowerCase() !== keystore.data.election.toLowerCase())
      throw new CliError(
        `key file ${options.keyFile} belongs to election ${keystore.data.election}, not ${expected}`,
        EXIT_USAGE,
      );
  }
  await connectTo(rpcUrl);
  return openTrusteeSession(rpcUrl, keystore);
}

function describeCeremony(outcome: CeremonyOutcome): string {
  const who = `trustee ${outcome.trusteeIndex}, round ${outcome.round}`;
  const done =
    outcome.actions.length > 0 ? `; this run: ${outcome.actions.join("; ")}` : "; nothing new to post";
  switch (outcome.status) {
    case "complete":
      return `key ceremony complete (${who}); joint key ${outcome.jointKey}${done}`;
    case "waiting-for-keys":
      return `waiting for the keys of trustee(s) ${outcome.waitingFor.join(", ")} (${who})${done}; run again later`;
    case "waiting-for-shares":
      return `waiting for the shares of trustee(s) ${outcome.waitingFor.join(", ")} (${who})${done}; run again later`;
    case "waiting-for-confirmations":
      return `joint key ${outcome.jointKey} confirmed; waiting for trustee(s) ${outcome.waitingFor.join(", ")} (${who})${done}`;
    case "disputed":
      return `the ceremony round is disputed (${who})${done}`;
  }
}

const sessionOptions = (command: Command) =>
  command
    .option("--rpc <url>", "JSON-RPC endpoint of a node (default: $BALLOT_LEDGER_RPC)")
    .requiredOption("--key-file <path>", "the trustee's encrypted key file")
    .option(
      "--passphrase-file <path>",
      "file whose first line is the passphrase (default: $BALLOT_LEDGER_PASSPHRASE)",
    )
    .option("--election <address>", "refuse unless the key file belongs to this election")
    .option("--json", "print the outcome as JSON");

export async function trusteeCommand(): Promise<Command> {
  const trustee = new Command("trustee").description(
    "trustee tool: key file, threshold key ceremony and decryption share (docs/trustees.md)",
  );

  trustee
    .command("new-account")
    .description("write a fresh Ethereum private key to a new file (mode 0600) and print its address")
    .requiredOption("--private-key-file <path>", "where to write the key (must not exist)")
    .action(
      mapped(async (options: { privateKeyFile: string }) => {
        console.log(writeNewPrivateKeyFile(options.privateKeyFile));
      }),
    );

  trustee
    .command("init")
    .description("make this trustee's ceremony secrets and store them, encrypted, in a new key file")
    .option("--rpc <url>", "JSON-RPC endpoint of a node (default: $BALLOT_LEDGER_RPC)")
    .requiredOption("--election <address>", "the election contract")
    .requiredOption("--key-file <path>", "the key file to create (must not exist)")
    .requiredOption("--private-key-file <path>", "the trustee's Ethereum private key (0x hex), as appointed")
    .option(
      "--passphrase-file <path>",
      "file whose first line is the passphrase (default: $BALLOT_LEDGER_PASSPHRASE)",
    )
    .addOption(
      new Option("--kdf <limits>", "passphrase hashing cost (Argon2id)")
        .choices(["moderate", "interactive"])
        .default("moderate"),
    )
    .option("--json", "print the outcome as JSON")
    .action(
      mapped(
        async (options: {
          rpc?: string;
          election: string;
          keyFile: string;
          privateKeyFile: string;
          passphraseFile?: string;
          kdf: "moderate" | "interactive";
          json?: boolean;
        }) => {
          await initCrypto();
          const rpcUrl = rpcUrlOf(options.rpc);
          const election = parseAddress(options.election, "--election");
          const accountKey = readPrivateKeyFile(options.privateKeyFile);
          const passphrase = readPassphrase(options.passphraseFile);
          await connectTo(rpcUrl);
          const outcome = await initTrustee({
            rpcUrl,
            election,
            accountKey,
            keyFile: options.keyFile,
            passphrase,
            kdf: options.kdf === "interactive" ? KDF_INTERACTIVE : KDF_MODERATE,
          });
          outcome.keystore.close();
          const summary = {
            keyFile: options.keyFile,
            election,
            chainId: outcome.chainId,
            trusteeAddress: outcome.trusteeAddress,
            trusteeIndex: outcome.trusteeIndex,
            round: outcome.round,
          };
          if (options.json) console.log(json(summary));
          else
            console.log(
              `created ${options.keyFile}: trustee ${summary.trusteeIndex} (${summary.trusteeAddress}) of election ${election}, ceremony round ${summary.round}`,
            );
        },
      ),
    );

  sessionOptions(
    trustee
      .command("ceremony")
      .description("do this trustee's next missing steps of the key ceremony (safe to run again)"),
  ).action(
    mapped(async (options: SessionOptions) => {
      const session = await openSession(options);
      try {
        const outcome = await runCeremony(session, { progress });
        if (options.json) console.log(json(outcome));
        else console.log(describeCeremony(outcome));
        if (outcome.status === "disputed")
          throw new CliError(
            `complaints: ${outcome.complaints
              .map((c) => `trustee ${c.complainer} against trustee ${c.accused}: ${c.verdict} (${c.reason})`)
              .join("; ")}; the commission must restart the ceremony without the guilty trustee`,
            EXIT_VERIFICATION_FAILED,
          );
      } finally {
        session.keystore.close();
      }
    }),
  );

  sessionOptions(
    trustee
      .command("decrypt")
      .description(
        "after voting closes: tally the recorded ballots and post this trustee's decryption share",
      ),
  )
    .option("--threads <n>", "worker threads for the ballot checks (default: all cores; 0: none)")
    .action(
      mapped(async (options: SessionOptions & { threads?: string }) => {
        const threads =
          options.threads === undefined ? undefined : parsePositiveInteger(options.threads, "--threads");
        const session = await openSession(options);
        try {
          const outcome = await runDecryption(session, { progress, threads });
          if (options.json) console.log(json(outcome));
          else {
            const ballots =
              outcome.ballots === null
                ? ""
                : `; ${outcome.ballots.counted} of ${outcome.ballots.recorded} recorded ballots counted (${outcome.ballots.superseded} superseded, ${outcome.ballots.excluded} excluded)`;
            console.log(
              `${outcome.status === "posted" ? "posted" : "already posted"}: decryption share of trustee ${outcome.trusteeIndex} for aggregate ${outcome.aggregateHash}${ballots}`,
            );
            if (outcome.disagreeing.length > 0)
              console.log(
                `warning: trustee(s) ${outcome.disagreeing.join(", ")} decrypted a different aggregate`,
              );
          }
        } finally {
          session.keystore.close();
        }
      }),
    );

  return usageErrorsExit2(trustee);
}
