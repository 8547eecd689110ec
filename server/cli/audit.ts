import fs from "node:fs";
import { Command } from "commander";
import type { Address } from "viem";
import { checkChallenge, parseChallengeFile } from "../audit/challenge";
import { combineRecords } from "../audit/combine";
import {
  exportElectionRecord,
  openRecordFolder,
  readRecordFolder,
  RecordFormatError,
} from "../audit/record-files";
import { formatReport } from "../audit/report-text";
import { describeTracked, trackBallot } from "../audit/track";
import { verifyRecordSource } from "../verification/record";
import { electionRulesOf, headerOf } from "../verification/rules";
import { publicClientFor } from "../chain/clients";
import { readElectionRecord } from "../chain/election-reader";
import { initCrypto } from "../protocol/primitives/sodium";
import type { ElectionRecord } from "../protocol/record";
import {
  connectTo,
  mapped,
  parseAddress,
  parsePositiveInteger,
  rpcUrlOf,
  usageErrorsExit2,
} from "./chain-options";
import { CliError, EXIT_USAGE, EXIT_VERIFICATION_FAILED } from "./errors";

/** `audit verify`: no fault but warnings (docs/record.md, exit codes): not "everything holds". */
const EXIT_WARNINGS_ONLY = 1;

/**
 * `ballot-ledger audit ...`: the auditor's tools (docs/record.md).
 *
 *   export    --rpc URL --election ADDR --out DIR     the full election record as files
 *   verify    DIR [--json]                             offline verification; exit 0 only when everything holds
 *   track     CODE (--dir DIR | --rpc URL --election ADDR)   counted, superseded or excluded, and why
 *   challenge FILE [--dir DIR | --rpc URL [--election ADDR]] check a Benaloh challenge, print the choices
 *   combine   DIR DIR ... [--json]                   the combined result of the contests the records share
 */
const progress = (line: string) => process.stderr.write(`• ${line}\n`);

interface SourceOptions {
  dir?: string;
  rpc?: string;
  election?: string;
  confirmations?: string;
  json?: boolean;
}

/** `use` on a record folder; a folder that is not a valid record (found by `use` as it streams) exits 2. */
async function withFolder<T>(dir: string, use: (dir: string) => Promise<T>): Promise<T> {
  try {
    return await use(dir);
  } catch (error) {
    if (error instanceof RecordFormatError) throw new CliError(`record ${dir}: ${error.message}`, EXIT_USAGE);
    throw error;
  }
}

const readFolder = (dir: string): Promise<ElectionRecord> => withFolder(dir, readRecordFolder);

async function chainClient(rpc: string | undefined, election: Address) {
  const endpoint = await connectTo(rpcUrlOf(rpc));
  progress(`reading election ${election} from chain ${endpoint.chainId}`);
  const client = publicClientFor(endpoint);
  const code = await client.getCode({ address: election });
  if (code === undefined || code === "0x")
    throw new CliError(`no contract at ${election} on chain ${endpoint.chainId}`, EXIT_USAGE);
  return client;
}

async function readFromChain(rpc: string | undefined, election: Address): Promise<ElectionRecord> {
  return readElectionRecord(await chainClient(rpc, election), election);
}

/** The record named by --dir, or read from --rpc/--election (exactly one of the two). */
async function recordFrom(options: SourceOptions, electionFallback?: string): Promise<ElectionRecord> {
  const election = options.election ?? electionFallback;
  if (options.dir !== undefined && (options.rpc !== undefined || options.election !== undefined))
    throw new CliError("give either --dir DIR or --rpc URL --election ADDR, not both", EXIT_USAGE);
  if (options.dir !== undefined) return readFolder(options.dir);
  if (election === undefined)
    throw new CliError("give --dir DIR, or --rpc URL and --election ADDR", EXIT_USAGE);
  return readFromChain(options.rpc, parseAddress(election, "--election"));
}

export async function auditCommand(): Promise<Command> {
  const audit = new Command("audit").description(
    "export, verify and query an election record; check a challenge",
  );

  audit
    .command("export")
    .description("write the full election record to a folder (docs/record.md)")
    .option("--rpc <url>", "the node's JSON-RPC URL (or BALLOT_LEDGER_RPC)")
    .requiredOption("--election <address>", "the election contract")
    .requiredOption("--out <dir>", "the folder to write (must not exist, or be empty)")
    .option("--confirmations <n>", "blocks to stay behind the head", "0")
    .action(
      mapped(async (options: SourceOptions & { out: string; confirmations: string }) => {
        await initCrypto();
        if (
          fs.existsSync(options.out) &&
          (!fs.statSync(options.out).isDirectory() || fs.readdirSync(options.out).length > 0)
        )
          throw new CliError(`${options.out} exists and is not an empty folder`, EXIT_USAGE);
        const election = parseAddress(options.election!, "--election");
        const confirmations = parsePositiveInteger(options.confirmations, "--confirmations");
        const client = await chainClient(options.rpc, election);
        // Page by page into the folder: the export never holds the whole record.
        let written;
        try {
          written = await exportElectionRecord(client, election, options.out, { confirmations });
        } catch (error) {
          if (error instanceof RecordFormatError) throw new CliError(error.message, EXIT_USAGE);
          throw error;
        }
        const { header, counts } = written;
        console.log(
          `wrote ${options.out}: election ${header.election} through block ${header.throughBlock}, ` +
            `${counts.ballots} ballots, ${counts.issuances} issuances, ${header.decryptionShares.length} decryption shares` +
            `${header.result === null ? "" : ", the result"}, ${header.attestations.length} attestations`,
        );
      }),
    );

  audit
    .command("verify")
    .description(
      "verify a record folder offline; exit 0 only when everything holds, 1 with warnings only, 4 on a fault",
    )
    .argument("<dir>", "the record folder")
    .option("--json", "print the report as JSON")
    .option("--threads <n>", "verifier threads (default: every core for 64+ ballots; 0: this thread)")
    .action(
      mapped(async (dir: string, options: { json?: boolean; threads?: string }) => {
        await initCrypto();
        const threads =
          options.threads === undefined ? undefined : parsePositiveInteger(options.threads, "--threads");
        // Streamed: the ballots are read in chunks and their bytes are never all in memory.
        const { report, ballots, seconds } = await withFolder(dir, async () => {
          const source = openRecordFolder(dir);
          const started = performance.now();
          const verification = await verifyRecordSource(source, { threads });
          return {
            report: verification.report,
            ballots: source.counts.ballots,
            seconds: (performance.now() - started) / 1000,
          };
        });
        progress(`verified ${ballots} ballots in ${seconds.toFixed(1)} s`);
        console.log(options.json ? JSON.stringify(report, null, 2) : formatReport(report));
        if (report.verdict === "fails")
          throw new CliError("verification failed: see the findings above", EXIT_VERIFICATION_FAILED);
        if (report.verdict === "holds-with-warnings")
          throw new CliError(
            `no fault, but ${report.findings.length} warnings: not everything holds (see the findings above)`,
            EXIT_WARNINGS_ONLY,
          );
      }),
    );

  audit
    .command("combine")
    .description(
      "the combined result of the contests several verified records share (two platforms, docs/protocol.md 12); exit 4 when refused",
    )
    .argument("<dirs...>", "two or more record folders")
    .option("--json", "print the outcome as JSON")
    .option("--threads <n>", "verifier threads (default: every core for 64+ ballots; 0: this thread)")
    .action(
      mapped(async (dirs: string[], options: { json?: boolean; threads?: string }) => {
        await initCrypto();
        const threads =
          options.threads === undefined ? undefined : parsePositiveInteger(options.threads, "--threads");
        const records = [];
        for (const dir of dirs) records.push({ label: dir, record: await readFolder(dir) });
        const outcome = await combineRecords(records, { threads });
        if (!outcome.ok) {
          if (options.json)
            console.log(JSON.stringify({ ok: false, code: outcome.code, reason: outcome.reason }));
          throw new CliError(
            `combination refused (${outcome.code}): ${outcome.reason}`,
            EXIT_VERIFICATION_FAILED,
          );
        }
        if (options.json) {
          const { ok, tally, bytes, hash, elections } = outcome;
          console.log(JSON.stringify({ ok, hash, bytes, tally, elections }, null, 2));
          return;
        }
        for (const e of outcome.elections)
          console.log(
            `${e.label}: election ${e.election} on chain ${e.chainId}, tally ${e.tallyHash}, shares ${e.shared.join(", ")}`,
          );
        for (const [contest, { elections, options: counts }] of Object.entries(outcome.tally.contests)) {
          console.log(`${contest} (${elections} elections):`);
          for (const [option, count] of Object.entries(counts))
            console.log(`  ${option.padEnd(32)} ${count}`);
        }
        console.log(`combined tally hash ${outcome.hash}`);
      }),
    );

  audit
    .command("track")
    .description("find a ballot by its tracking code: counted, superseded by a re-vote, or excluded and why")
    .argument("<code>", "the tracking code, e.g. CM4F-4YRJ-2B16-8TBN")
    .option("--dir <dir>", "a record folder")
    .option("--rpc <url>", "the node's JSON-RPC URL (or BALLOT_LEDGER_RPC)")
    .option("--election <address>", "the election contract (with --rpc)")
    .option("--json", "print the outcome as JSON")
    .action(
      mapped(async (code: string, options: SourceOptions) => {
        await initCrypto();
        const record = await recordFrom(options);
        const outcome = await trackBallot(record, code);
        if (!outcome.ok)
          throw new CliError(
            outcome.message,
            outcome.reason === "invalid-code" ? EXIT_USAGE : EXIT_VERIFICATION_FAILED,
          );
        if (options.json) console.log(JSON.stringify(outcome, null, 2));
        else for (const ballot of outcome.ballots) console.log(describeTracked(ballot));
        if (!outcome.ballots.some((b) => b.verdict.status !== "excluded"))
          throw new CliError(`ballot ${outcome.code} is not counted`, EXIT_VERIFICATION_FAILED);
      }),
    );

  audit
    .command("challenge")
    .description(
      "check a Benaloh challenge (the booth's reveal of a ballot) and print the choices it encrypts",
    )
    .argument("<file>", "JSON { election?, ballot, reveal } (docs/record.md)")
    .option("--dir <dir>", "a record folder of the election")
    .option("--rpc <url>", "the node's JSON-RPC URL (or BALLOT_LEDGER_RPC)")
    .option("--election <address>", "the election contract (default: the file's)")
    .option("--json", "print the outcome as JSON")
    .action(
      mapped(async (file: string, options: SourceOptions) => {
        await initCrypto();
        let text: string;
        try {
          text = fs.readFileSync(file, "utf8");
        } catch (error) {
          throw new CliError(
            `cannot read ${file}: ${(error as NodeJS.ErrnoException).code ?? String(error)}`,
            EXIT_USAGE,
          );
        }
        const parsed = parseChallengeFile(text);
        if (!parsed.ok) throw new CliError(`${file}: ${parsed.reason}`, EXIT_USAGE);
        const record = await recordFrom(options, parsed.file.election);
        if (
          parsed.file.election !== undefined &&
          parsed.file.election.toLowerCase() !== record.election.toLowerCase()
        )
          throw new CliError(
            `${file} is a ballot of election ${parsed.file.election}, not ${record.election}`,
            EXIT_USAGE,
          );
        const rules = electionRulesOf(headerOf(record));
        if (rules === null)
          throw new CliError("the election has no valid joint key yet", EXIT_VERIFICATION_FAILED);
        const result = checkChallenge(rules.context, parsed.file);
        if (options.json) console.log(JSON.stringify(result, null, 2));
        if (!result.ok) throw new CliError(`challenge fails: ${result.reason}`, EXIT_VERIFICATION_FAILED);
        if (!options.json) {
          console.log(
            `the challenged ballot (tracking code ${result.trackingCode}) encrypts exactly the stated choices:`,
          );
          for (const [contest, selected] of Object.entries(result.choices))
            console.log(`  ${contest}: ${selected.length === 0 ? "(none)" : selected.join(", ")}`);
          console.log("compare the tracking code with the one the booth showed; never cast this ballot");
        }
      }),
    );

  return usageErrorsExit2(audit);
}
