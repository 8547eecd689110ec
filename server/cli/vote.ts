import fs from "node:fs";
import { Command } from "commander";
import { publicClientFor } from "../chain/clients";
import { normalizeTrackingCode, type BallotChoices } from "../protocol/ballot";
import { NoRelayAnsweredError, ServiceError } from "../voter/services-client";
import { castVote, trackBallot, VoterError, type TrackResult } from "../voter/voter";
import { WalletFileError } from "../voter/wallet-file";
import {
  connectTo,
  mapped,
  parseAddress,
  parsePositiveInteger,
  rpcUrlOf,
  usageErrorsExit2,
} from "./chain-options";
import { CliError, EXIT_REFUSED, EXIT_USAGE, EXIT_VERIFICATION_FAILED } from "./errors";
import { registrarCommand } from "./registrar";
import { relayCommand } from "./relay";

/**
 * `ballot-ledger vote` and `ballot-ledger track`: the voter's command line.
 *
 *   vote --rpc URL --election ADDR --relay URL [--relay URL2] --choice CONTEST=OPTION[,OPTION] ...
 *        [--registrar URL --voter-id ID (--code-file FILE | BALLOT_LEDGER_CODE)] [--wallet FILE]
 *     The first run gets a credential (the one-time code is needed once); later
 *     runs re-vote with the stored voting key and a higher sequence.
 *   track CODE --rpc URL --election ADDR [--relay URL]
 *     The relay's account of the ballot and, independently, the chain's.
 *
 * The one-time code is read from a file or the environment, not the command
 * line, so it does not land in the shell history.
 */
export const CODE_ENV = "BALLOT_LEDGER_CODE";

const collect = (value: string, previous: string[]) => [...previous, value];
const json = (value: unknown) =>
  JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v), 2);

export function parseChoices(
  choiceOptions: readonly string[],
  choicesJson: string | undefined,
): BallotChoices {
  if (choicesJson !== undefined) {
    let parsed: unknown;
    try {
      parsed = JSON.parse(choicesJson);
    } catch {
      throw new CliError('--choices must be JSON like {"contest":["option"]}', EXIT_USAGE);
    }
    if (
      parsed === null ||
      typeof parsed !== "object" ||
      Array.isArray(parsed) ||
      !Object.values(parsed).every((v) => Array.isArray(v) && v.every((o) => typeof o === "string"))
    )
      throw new CliError("--choices must map each contest id to a list of option ids", EXIT_USAGE);
    return parsed as BallotChoices;
  }
  const choices: Record<string, string[]> = {};
  for (const option of choiceOptions) {
    const match = /^([^=]+)=(.*)$/.exec(option);
    if (match === null)
      throw new CliError(`--choice must be CONTEST=OPTION[,OPTION...], got ${option}`, EXIT_USAGE);
    if (match[1] in choices) throw new CliError(`contest ${match[1]} is given twice`, EXIT_USAGE);
    choices[match[1]] = match[2] === "" ? [] : match[2].split(",").map((s) => s.trim());
  }
  if (Object.keys(choices).length === 0)
    throw new CliError("give your choices with --choice or --choices", EXIT_USAGE);
  return choices;
}

function oneTimeCode(codeFile: string | undefined): string | undefined {
  if (codeFile !== undefined) {
    try {
      return fs.readFileSync(codeFile, "utf8").split(/\r?\n/)[0].trim();
    } catch (error) {
      throw new CliError(`cannot read ${codeFile}: ${(error as NodeJS.ErrnoException).code}`, EXIT_USAGE);
    }
  }
  const fromEnv = process.env[CODE_ENV];
  return fromEnv === undefined || fromEnv === "" ? undefined : fromEnv;
}

function voterCliError(error: unknown): unknown {
  if (error instanceof VoterError)
    return new CliError(
      error.message,
      error.kind === "usage"
        ? EXIT_USAGE
        : error.kind === "verification"
          ? EXIT_VERIFICATION_FAILED
          : EXIT_REFUSED,
    );
  if (error instanceof WalletFileError) return new CliError(error.message, EXIT_USAGE);
  if (error instanceof NoRelayAnsweredError) return new CliError(error.message, EXIT_REFUSED);
  if (error instanceof ServiceError) return new CliError(`${error.message} (${error.code})`, EXIT_REFUSED);
  return error;
}

const guarded =
  <A extends unknown[]>(body: (...args: A) => Promise<void>) =>
  async (...args: A) => {
    try {
      await body(...args);
    } catch (error) {
      throw voterCliError(error);
    }
  };

interface VoteCliOptions {
  rpc?: string;
  election: string;
  registrar?: string;
  relay: string[];
  voterId?: string;
  codeFile?: string;
  style?: string;
  choice: string[];
  choices?: string;
  wallet: string;
  json?: boolean;
}

export async function voteCommand(): Promise<Command> {
  const command = new Command("vote")
    .description("get a credential (first time), encrypt, sign and submit a ballot; re-vote on later runs")
    .option("--rpc <url>", "node URL (or BALLOT_LEDGER_RPC)")
    .requiredOption("--election <address>", "the election contract")
    .option("--registrar <url>", "registrar service URL (needed for the first ballot)")
    .option("--relay <url>", "relay URL; repeat for fallbacks, tried in order", collect, [])
    .option("--voter-id <id>", "your voter id (first ballot)")
    .option("--code-file <file>", `file holding your one-time code (or set ${CODE_ENV})`)
    .option("--style <index>", "your ballot style (asked from the registrar when omitted)")
    .option("--choice <contest=options>", "CONTEST=OPTION[,OPTION...]; repeat per contest", collect, [])
    .option("--choices <json>", 'all choices as JSON, e.g. {"party-list":["green-union"]}')
    .option(
      "--wallet <file>",
      "your local voter file (voting key, credential, receipts)",
      "voter-wallet.json",
    )
    .option("--json", "print the result as JSON")
    .action(
      mapped(
        guarded(async (options: VoteCliOptions) => {
          if (options.relay.length === 0) throw new CliError("give at least one --relay URL", EXIT_USAGE);
          const election = parseAddress(options.election, "--election");
          const choices = parseChoices(options.choice, options.choices);
          const style =
            options.style === undefined ? undefined : parsePositiveInteger(options.style, "--style");
          const endpoint = await connectTo(rpcUrlOf(options.rpc));
          const result = await castVote({
            client: publicClientFor(endpoint),
            election,
            registrarUrl: options.registrar,
            relayUrls: options.relay,
            voterId: options.voterId,
            code: oneTimeCode(options.codeFile),
            style,
            choices,
            walletFile: options.wallet,
          });
          if (options.json) console.log(json(result));
          else {
            const { accepted } = result;
            if (accepted.status === "receipt")
              console.log(`ballot accepted by ${result.relayUrl} (relay ${result.relay})`);
            else
              console.log(
                `ballot ${accepted.status === "on-chain" ? `on chain in ${accepted.transactionHash} (block ${accepted.blockNumber})` : `queued at ${result.relayUrl}`}: ` +
                  `a relay's answer was lost and another answered ${accepted.refusal} for this very ballot (no receipt)`,
              );
            console.log(`tracking code  ${result.trackingCode}`);
            console.log(
              `sequence       ${result.sequence}${result.sequence > 1n ? " (re-vote: the last ballot counts)" : ""}`,
            );
            if (result.receipt !== null) console.log(`receipt saved  ${options.wallet}`);
            if (result.relay !== null && !result.relayAuthorized)
              console.log("warning: this relay's account has no RELAY_ROLE on chain");
          }
        }),
      ),
    );
  return usageErrorsExit2(command);
}

function printTrack(result: TrackResult): void {
  console.log(`tracking code  ${result.trackingCode}`);
  if (result.relay !== null)
    console.log(
      `relay          ${result.relay.url}: ${result.relay.status}` +
        (result.relay.transactionHash
          ? ` in ${result.relay.transactionHash} (block ${result.relay.blockNumber})`
          : "") +
        (result.relay.reason ? ` (${result.relay.reason})` : ""),
    );
  for (const failure of result.relayErrors) console.log(`relay          ${failure.url}: ${failure.error}`);
  const c = result.chain;
  console.log(
    `chain          ${c.status}` +
      (c.transactionHash ? ` in ${c.transactionHash} (block ${c.blockNumber})` : "") +
      (c.superseded ? ", superseded by a later re-vote" : "") +
      (c.reason ? ` (${c.reason})` : ""),
  );
  if (!result.consistent) console.log("MISMATCH: the relay's account and the chain disagree");
}

export async function trackCommand(): Promise<Command> {
  const command = new Command("track")
    .description("check a tracking code against the relay and the chain")
    .argument("<tracking-code>", "the code the booth showed, e.g. CM4F-4YRJ-2B16-8TBN")
    .option("--rpc <url>", "node URL (or BALLOT_LEDGER_RPC)")
    .requiredOption("--election <address>", "the election contract")
    .option("--relay <url>", "relay to ask as well; repeat for more", collect, [])
    .option("--json", "print the result as JSON")
    .action(
      mapped(
        guarded(
          async (
            code: string,
            options: { rpc?: string; election: string; relay: string[]; json?: boolean },
          ) => {
            const election = parseAddress(options.election, "--election");
            if (normalizeTrackingCode(code) === null)
              throw new CliError(
                "a tracking code is 16 Crockford base32 characters, e.g. CM4F-4YRJ-2B16-8TBN",
                EXIT_USAGE,
              );
            const endpoint = await connectTo(rpcUrlOf(options.rpc));
            const result = await trackBallot({
              client: publicClientFor(endpoint),
              election,
              trackingCode: code,
              relayUrls: options.relay,
            });
            if (options.json) console.log(json(result));
            else printTrack(result);
            if (!result.consistent)
              throw new CliError("the relay's account and the chain disagree", EXIT_VERIFICATION_FAILED);
            if (result.chain.status === "rejected" || result.relay?.status === "rejected")
              throw new CliError("the ballot was rejected", EXIT_REFUSED);
            if (result.chain.status === "not-found" && result.relay?.status !== "queued")
              throw new CliError("no ballot with this tracking code is on chain", EXIT_VERIFICATION_FAILED);
          },
        ),
      ),
    );
  return usageErrorsExit2(command);
}

/** Everything this module mounts: the registrar and relay services, vote and track. */
export const voterServiceCommands: Array<() => Promise<Command>> = [
  registrarCommand,
  relayCommand,
  voteCommand,
  trackCommand,
];
