import { Command } from "commander";
import { checkServedBooth } from "../booth/booth-files";
import { publicClientFor } from "../chain/clients";
import { parseManifestBytes } from "../protocol/manifest";
import { hexToBytes } from "../protocol/primitives/bytes";
import { electionOrigin } from "../service/election-info";
import { connectTo, mapped, parseAddress, rpcUrlOf, usageErrorsExit2 } from "./chain-options";
import { CliError, EXIT_USAGE, EXIT_VERIFICATION_FAILED } from "./errors";

/**
 * `ballot-ledger booth check --url RELAY (--expect SHA256 | --rpc URL --election ADDR)`:
 * what an observer runs against a relay (docs/booth.md). It fetches the booth
 * the relay serves, recomputes every file's SHA-256 and the booth digest, and
 * compares the digest with the published one: given with --expect, or the
 * election manifest's boothSha256 read from the chain. Exit 0 when they
 * match, 4 when they do not (or the served booth is inconsistent).
 */
interface CheckOptions {
  url: string;
  expect?: string;
  rpc?: string;
  election?: string;
  json?: boolean;
}

async function publishedDigest(options: CheckOptions): Promise<string | undefined> {
  if (options.expect !== undefined) {
    if (!/^[0-9a-fA-F]{64}$/.test(options.expect))
      throw new CliError("--expect must be a SHA-256 in hex (64 digits)", EXIT_USAGE);
    return options.expect.toLowerCase();
  }
  if (options.election === undefined) return undefined;
  const election = parseAddress(options.election, "--election");
  const client = publicClientFor(await connectTo(rpcUrlOf(options.rpc)));
  const manifest = parseManifestBytes(hexToBytes((await electionOrigin(client, election)).manifest));
  if (!manifest.ok) throw new CliError(`election ${election}: ${manifest.reason}`, EXIT_VERIFICATION_FAILED);
  if (manifest.manifest.boothSha256 === undefined)
    throw new CliError(
      `the manifest of election ${election} publishes no boothSha256: pass the published value with --expect`,
      EXIT_USAGE,
    );
  return manifest.manifest.boothSha256;
}

export async function boothCommand(): Promise<Command> {
  const booth = new Command("booth").description(
    "the web booth: check that a relay serves the published one",
  );
  booth
    .command("check")
    .description("fetch the booth a relay serves and compare its digest with the published boothSha256")
    .requiredOption("--url <url>", "the relay's base URL (where it serves the booth)")
    .option("--expect <sha256>", "the published boothSha256")
    .option(
      "--rpc <url>",
      "node URL, to read boothSha256 from the election's manifest (or BALLOT_LEDGER_RPC)",
    )
    .option("--election <address>", "the election whose manifest publishes boothSha256")
    .option("--json", "print the result as JSON")
    .action(
      mapped(async (options: CheckOptions) => {
        if (!/^https?:\/\//.test(options.url)) throw new CliError("--url must be an http(s) URL", EXIT_USAGE);
        const expected = await publishedDigest(options);
        const result = await checkServedBooth(options.url, expected);
        if (options.json) console.log(JSON.stringify({ ...result, expected: expected ?? null }, null, 2));
        if (!result.ok)
          throw new CliError(`the served booth fails the check: ${result.reason}`, EXIT_VERIFICATION_FAILED);
        if (!options.json) {
          console.log(
            `booth at ${options.url}: ${result.files.length} files, boothSha256 ${result.boothSha256}`,
          );
          console.log(`  bundle sha256 ${result.bundleSha256}`);
          console.log(
            expected === undefined
              ? "  no published value given (--expect or --election): the digest is consistent, compare it yourself"
              : "  matches the published boothSha256",
          );
        }
      }),
    );
  return usageErrorsExit2(booth);
}
