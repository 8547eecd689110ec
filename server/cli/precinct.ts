import fs from "node:fs";
import { Command } from "commander";
import { z } from "zod";
import { publicClientFor, walletClientFor } from "../chain/clients";
import { sendElectionTx } from "../chain/election-reader";
import { electionAbi } from "../chain/generated/abis";
import {
  cancellationFromWallet,
  journalVerdict,
  readJournalEntry,
  type JournalEntry,
} from "../precinct/journal-check";
import {
  checkPaper,
  issuePaper,
  issuePaperAfterCancellation,
  openPrecinctElection,
  type PaperAnswer,
} from "../precinct/precinct";
import {
  loadPrecinctRoll,
  PrecinctRollError,
  precinctRollOf,
  precinctRollToCsv,
  rollChunks,
} from "../precinct/roll";
import type { Cancellation } from "../protocol/channel";
import { initCrypto } from "../protocol/primitives/sodium";
import { parseRollCsv, RollError } from "../registrar/roll";
import { readWallet, WalletFileError } from "../voter/wallet-file";
import {
  connectTo,
  mapped,
  parseAddress,
  readPrivateKeyFile,
  rpcUrlOf,
  usageErrorsExit2,
  writeNewFile,
} from "./chain-options";
import { CliError, EXIT_REFUSED, EXIT_USAGE } from "./errors";

/**
 * `ballot-ledger precinct ...` (the invitation office and the precincts) and
 * `ballot-ledger journal ...` (the voter), docs/protocol.md section 11:
 *
 *   precinct make-roll    --in PLAIN.csv --rpc URL --election ADDR --out TABLE.csv   journal keys of the online roll
 *   precinct publish-roll --roll TABLE.csv --rpc URL --election ADDR --private-key-file COMMISSION_KEY
 *   precinct check        --roll TABLE.csv --rpc URL --election ADDR --voter-id ID     may this person get paper?
 *   precinct issue-paper  --roll TABLE.csv --rpc URL --election ADDR --private-key-file PRECINCT_KEY --voter-id ID
 *                         [--cancellation FILE]
 *   journal check         --rpc URL --election ADDR --voter-id ID (--code-file FILE | BALLOT_LEDGER_CODE)
 *   journal cancel        --wallet FILE --voter-id ID (--code-file FILE | BALLOT_LEDGER_CODE) --out FILE
 *
 * A refusal prints its reason code and exits 3; nothing is recorded.
 */
const CODE_ENV = "BALLOT_LEDGER_CODE";

interface ChainOptions {
  rpc?: string;
  election: string;
  json?: boolean;
}

function readText(file: string, what: string): string {
  try {
    return fs.readFileSync(file, "utf8");
  } catch (error) {
    throw new CliError(`cannot read ${what} ${file}: ${(error as NodeJS.ErrnoException).code}`, EXIT_USAGE);
  }
}

function oneTimeCode(codeFile: string | undefined): string {
  const code =
    codeFile !== undefined ? readText(codeFile, "code file").split(/\r?\n/)[0].trim() : process.env[CODE_ENV];
  if (code === undefined || code === "")
    throw new CliError(`give the invitation's code with --code-file FILE or ${CODE_ENV}`, EXIT_USAGE);
  return code;
}

const asUsage = (error: unknown): unknown =>
  error instanceof PrecinctRollError || error instanceof RollError || error instanceof WalletFileError
    ? new CliError(error.message, EXIT_USAGE)
    : error;

async function chainOf(options: ChainOptions) {
  const endpoint = await connectTo(rpcUrlOf(options.rpc));
  const election = parseAddress(options.election, "--election");
  const client = publicClientFor(endpoint);
  const code = await client.getCode({ address: election });
  if (code === undefined || code === "0x")
    throw new CliError(`no contract at ${election} on chain ${endpoint.chainId}`, EXIT_USAGE);
  return { endpoint, election, client };
}

async function precinctOf(options: ChainOptions & { roll: string }) {
  let entries;
  try {
    entries = loadPrecinctRoll(options.roll);
  } catch (error) {
    throw asUsage(error);
  }
  const chain = await chainOf(options);
  try {
    return { ...chain, precinct: await openPrecinctElection(chain.client, chain.election, entries) };
  } catch (error) {
    throw new CliError((error as Error).message, EXIT_USAGE);
  }
}

function printAnswer(answer: PaperAnswer, json: boolean | undefined): void {
  if (json) console.log(JSON.stringify(answer, null, 2));
  else console.log(`${answer.mayIssue ? "PAPER BALLOT" : "REFUSED"} (${answer.code}): ${answer.reason}`);
  if (!answer.mayIssue) throw new CliError(`refused: ${answer.code}`, EXIT_REFUSED);
}

const cancellationSchema = z
  .object({
    chainId: z.string().regex(/^[0-9]{1,20}$/),
    election: z.string().regex(/^0x[0-9a-fA-F]{40}$/),
    voterIdHash: z.string().regex(/^0x[0-9a-fA-F]{64}$/),
    style: z.number().int().min(0).max(0xffffffff),
    credential: z.string().regex(/^0x([0-9a-fA-F]{2}){8,1024}$/),
    signature: z.string().regex(/^0x[0-9a-fA-F]{130}$/),
  })
  .strict();

export function parseCancellationFile(text: string, file: string): Cancellation {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw new CliError(`${file} is not JSON`, EXIT_USAGE);
  }
  const parsed = cancellationSchema.safeParse(raw);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new CliError(`${file} is not a cancellation: ${issue.path.join(".")} ${issue.message}`, EXIT_USAGE);
  }
  return parsed.data as Cancellation;
}

function describeEntry(entry: JournalEntry): string[] {
  const lines = [`your journal key: ${entry.voterIdHash}`];
  const verdict = journalVerdict(entry);
  if (entry.onOnlineRoll === null) lines.push("the election published no online roll");
  else if (entry.onOnlineRoll === false) lines.push("NOT on the online roll");
  else lines.push(`on the online roll of style ${entry.onOnlineRoll.style}`);
  if (entry.credential !== null)
    lines.push(
      `a credential WAS issued under your key (style ${entry.credential.style}, block ${entry.credential.blockNumber}, tx ${entry.credential.transactionHash})`,
    );
  else lines.push("no credential was issued under your key");
  if (entry.cancellation !== null)
    lines.push(`the online ballot of nullifier ${entry.cancellation.nullifier} was cancelled at a precinct`);
  if (entry.paperBallot !== null)
    lines.push(
      `a paper ballot was recorded under your key (precinct ${entry.paperBallot.precinct}, block ${entry.paperBallot.blockNumber})`,
    );
  lines.push(`verdict: ${verdict}`);
  return lines;
}

export async function precinctCommand(): Promise<Command> {
  const precinct = new Command("precinct").description(
    "paper beside online: the online roll's journal keys, may this person get paper, record a paper ballot",
  );
  const chainOptions = (command: Command) =>
    command
      .option("--rpc <url>", "the node's JSON-RPC URL (or BALLOT_LEDGER_RPC)")
      .requiredOption("--election <address>", "the election contract");

  chainOptions(
    precinct
      .command("make-roll")
      .description(
        "the invitation office: journal keys of the online roll (voterId,style,code -> voterId,style,voterIdHash)",
      )
      .requiredOption("--in <file>", "plain roll CSV with the header voterId,style,code")
      .requiredOption("--out <file>", "precinct table CSV to create"),
  ).action(
    mapped(async (options: ChainOptions & { in: string; out: string }) => {
      await initCrypto();
      const { endpoint, election, client } = await chainOf(options);
      const styleCount = await client.readContract({
        address: election,
        abi: electionAbi,
        functionName: "ballotStyleCount",
      });
      let entries;
      try {
        const rows = parseRollCsv(readText(options.in, "plain roll"));
        entries = precinctRollOf({ chainId: BigInt(endpoint.chainId), election }, rows, styleCount);
      } catch (error) {
        throw asUsage(error);
      }
      writeNewFile(options.out, precinctRollToCsv(entries));
      console.log(`${options.out}: ${entries.length} online-roll voters`);
    }),
  );

  chainOptions(
    precinct
      .command("publish-roll")
      .description("the commission: publish the online roll's journal keys per style (before voting opens)")
      .requiredOption("--roll <file>", "the precinct table CSV (all districts)")
      .requiredOption("--private-key-file <path>", "the commission's private key"),
  ).action(
    mapped(async (options: ChainOptions & { roll: string; privateKeyFile: string }) => {
      await initCrypto();
      let entries;
      try {
        entries = loadPrecinctRoll(options.roll);
      } catch (error) {
        throw asUsage(error);
      }
      const { endpoint, election, client } = await chainOf(options);
      const wallet = walletClientFor(endpoint, readPrivateKeyFile(options.privateKeyFile));
      const chunk = Number(
        await client.readContract({ address: election, abi: electionAbi, functionName: "MAX_ROLL_CHUNK" }),
      );
      for (const { style, keys } of rollChunks(entries, chunk)) {
        const receipt = await sendElectionTx(wallet, client, election, "publishOnlineRoll", [style, keys]);
        console.log(`style ${style}: ${keys.length} keys (${receipt.transactionHash})`);
      }
    }),
  );

  chainOptions(
    precinct
      .command("check")
      .description("may this person get a paper ballot? (reads only)")
      .requiredOption("--roll <file>", "the precinct table CSV")
      .requiredOption("--voter-id <id>", "the voter's id, from their identity document")
      .option("--json", "print the answer as JSON"),
  ).action(
    mapped(async (options: ChainOptions & { roll: string; voterId: string }) => {
      await initCrypto();
      const { precinct: p } = await precinctOf(options);
      printAnswer(await checkPaper(p, options.voterId), options.json);
    }),
  );

  chainOptions(
    precinct
      .command("issue-paper")
      .description("record on chain the paper ballot handed to an online-roll voter, then hand it")
      .requiredOption("--roll <file>", "the precinct table CSV")
      .requiredOption("--voter-id <id>", "the voter's id, from their identity document")
      .requiredOption("--private-key-file <path>", "the precinct's private key (PRECINCT_ROLE)")
      .option(
        "--cancellation <file>",
        "the voter's signed cancellation (`journal cancel`), for a credential holder",
      )
      .option("--json", "print the answer as JSON"),
  ).action(
    mapped(
      async (
        options: ChainOptions & {
          roll: string;
          voterId: string;
          privateKeyFile: string;
          cancellation?: string;
        },
      ) => {
        await initCrypto();
        const cancellation =
          options.cancellation === undefined
            ? undefined
            : parseCancellationFile(readText(options.cancellation, "cancellation"), options.cancellation);
        const key = readPrivateKeyFile(options.privateKeyFile);
        const { endpoint, precinct: p } = await precinctOf(options);
        const wallet = walletClientFor(endpoint, key);
        const answer =
          cancellation === undefined
            ? await issuePaper(p, wallet, options.voterId)
            : await issuePaperAfterCancellation(p, wallet, options.voterId, cancellation);
        printAnswer(answer, options.json);
      },
    ),
  );
  return usageErrorsExit2(precinct);
}

export async function journalCommand(): Promise<Command> {
  const journal = new Command("journal").description(
    "the voter: check the chain's journal about yourself; sign a cancellation of your online ballot",
  );
  journal
    .command("check")
    .description("what the chain holds under your journal key (computed from your invitation)")
    .option("--rpc <url>", "the node's JSON-RPC URL (or BALLOT_LEDGER_RPC)")
    .requiredOption("--election <address>", "the election contract")
    .requiredOption("--voter-id <id>", "your voter id, as on the invitation")
    .option("--code-file <file>", `your invitation's code (or ${CODE_ENV})`)
    .option("--json", "print the entry as JSON")
    .action(
      mapped(async (options: ChainOptions & { voterId: string; codeFile?: string }) => {
        await initCrypto();
        const code = oneTimeCode(options.codeFile);
        const { election, client } = await chainOf(options);
        const entry = await readJournalEntry(client, election, options.voterId, code);
        if (options.json) console.log(JSON.stringify({ ...entry, verdict: journalVerdict(entry) }, null, 2));
        else console.log(describeEntry(entry).join("\n"));
      }),
    );
  journal
    .command("cancel")
    .description(
      "sign, with your wallet's voting key, the cancellation of your online ballot for the precinct",
    )
    .requiredOption("--wallet <file>", "your voter wallet (the one `vote` used)")
    .requiredOption("--voter-id <id>", "your voter id, as on the invitation")
    .option("--code-file <file>", `your invitation's code (or ${CODE_ENV})`)
    .requiredOption("--out <file>", "the cancellation file to create, for the precinct")
    .action(
      mapped(async (options: { wallet: string; voterId: string; codeFile?: string; out: string }) => {
        await initCrypto();
        const code = oneTimeCode(options.codeFile);
        let wallet;
        try {
          wallet = readWallet(options.wallet);
        } catch (error) {
          throw asUsage(error);
        }
        if (wallet === null) throw new CliError(`no wallet at ${options.wallet}`, EXIT_USAGE);
        if (wallet.credential === null)
          throw new CliError(
            "the wallet holds no credential: ask the precinct for paper directly",
            EXIT_USAGE,
          );
        const cancellation = await cancellationFromWallet(wallet, options.voterId, code);
        writeNewFile(options.out, JSON.stringify(cancellation, null, 2) + "\n");
        console.log(`${options.out}: cancellation for journal key ${cancellation.voterIdHash}`);
      }),
    );
  return usageErrorsExit2(journal);
}
