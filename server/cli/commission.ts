import fs from "node:fs";
import { Command, Option } from "commander";
import type { Address } from "viem";
import { publicClientFor, walletClientFor } from "../chain/clients";
import { createElection, deployFactory, roleId } from "../chain/deploy";
import { sendElectionTx } from "../chain/election-reader";
import { electionAbi } from "../chain/generated/abis";
import { electionParamsOf } from "../commission/election-params";
import { electionStatus, type ElectionStatus } from "../commission/status";
import { manifestBytes, parseManifestBytes } from "../protocol/manifest";
import { initCrypto } from "../protocol/primitives/sodium";
import { publishResult } from "../trustee/publish";
import { requireElection } from "../trustee/session";
import {
  connectTo,
  mapped,
  parseAddress,
  parseAddressList,
  parsePositiveInteger,
  readPrivateKeyFile,
  rpcUrlOf,
  usageErrorsExit2,
} from "./chain-options";
import { CliError, EXIT_USAGE } from "./errors";

/**
 * `ballot-ledger commission ...`: the election commission's tool
 * (docs/trustees.md). Every command that changes the chain takes the
 * commission's account from --private-key-file; `status` needs none.
 *
 *   deploy-factory                                   deploy an ElectionFactory (prints its address)
 *   create --factory ADDR --manifest FILE --trustees A,B,...   create an election (prints its address)
 *   appoint --election ADDR --role relay|registrar|observer --account ADDR
 *   extend --election ADDR --closes-at TIME          move the close of voting later
 *   pause | unpause --election ADDR
 *   restart-ceremony --election ADDR --trustees A,B,...  new ceremony round (after a dispute)
 *   publish --election ADDR [--dry-run]              combine t valid decryption shares, post the result
 *   status --election ADDR                           phase, ceremony, ballots, shares, result
 */
const progress = (line: string) => process.stderr.write(`• ${line}\n`);
const json = (value: unknown) =>
  JSON.stringify(value, (_key, v) => (typeof v === "bigint" ? v.toString() : v), 2);

interface ChainOptions {
  rpc?: string;
  privateKeyFile: string;
}

async function commissionClients(options: ChainOptions) {
  await initCrypto();
  const rpcUrl = rpcUrlOf(options.rpc);
  const key = readPrivateKeyFile(options.privateKeyFile);
  const endpoint = await connectTo(rpcUrl);
  return { endpoint, client: publicClientFor(endpoint), wallet: walletClientFor(endpoint, key) };
}

async function electionClients(options: ChainOptions & { election: string }) {
  const election = parseAddress(options.election, "--election");
  const clients = await commissionClients(options);
  await requireElection(clients.client, election);
  return { ...clients, election };
}

const withChain = (command: Command) =>
  command
    .option("--rpc <url>", "JSON-RPC endpoint of a node (default: $BALLOT_LEDGER_RPC)")
    .requiredOption("--private-key-file <path>", "the commission's Ethereum private key (0x hex)");

const withElection = (command: Command) =>
  withChain(command).requiredOption("--election <address>", "the election contract");

/** Unix seconds, or an ISO 8601 date with a time zone. */
export function parseTime(value: string): number {
  if (/^[0-9]+$/.test(value)) return Number(value);
  const ms = Date.parse(value);
  if (!/[zZ]|[+-]\d\d:?\d\d$/.test(value) || Number.isNaN(ms))
    throw new CliError(
      `not a time: ${value} (give Unix seconds or an ISO date with a time zone)`,
      EXIT_USAGE,
    );
  return Math.floor(ms / 1000);
}

function printStatus(status: ElectionStatus): void {
  const c = status.ceremony;
  const lines = [
    `election ${status.election} (${status.electionId})`,
    `phase    ${status.phase}${status.paused ? " (paused)" : ""}`,
    `window   ${status.opensAt} .. ${status.closesAt}, re-voting: ${status.revotePolicy}`,
    `trustees ${status.trustees.count}, threshold ${status.trustees.threshold}; ceremony round ${c.round}`,
    `         keys from [${c.keysPosted.join(", ")}], shares from [${c.sharesPosted.join(", ")}], confirmed by [${c.confirmed.join(", ")}]`,
  ];
  if (c.complaints.length > 0)
    lines.push(
      `         complaints: ${c.complaints.map((x) => `${x.complainer} against ${x.accused}`).join(", ")}`,
    );
  if (c.jointKey !== null) lines.push(`         joint key ${c.jointKey}`);
  lines.push(
    `registrar keys for styles [${status.registrarKeyStyles.join(", ")}]; ${status.issued} credentials issued`,
    `ballots  ${status.ballots} recorded, ${status.rejected} rejected by the contract`,
    `shares   decryption shares from [${status.decryptionShares.map((s) => s.trusteeIndex).join(", ")}]`,
  );
  if (status.result !== null)
    lines.push(`result   ${JSON.stringify(status.result.result)} (${status.result.resultHash})`);
  lines.push(`(read through block ${status.throughBlock})`);
  console.log(lines.join("\n"));
}

const ROLES = {
  relay: "RELAY_ROLE",
  registrar: "REGISTRAR_ROLE",
  observer: "OBSERVER_ROLE",
  precinct: "PRECINCT_ROLE",
} as const;

export async function commissionCommand(): Promise<Command> {
  const commission = new Command("commission").description(
    "election commission: factory, elections, roles, window, ceremony restarts, result (docs/trustees.md)",
  );

  withChain(
    commission.command("deploy-factory").description("deploy an ElectionFactory owned by this account"),
  ).action(
    mapped(async (options: ChainOptions) => {
      const { client, wallet } = await commissionClients(options);
      progress(`deploying an ElectionFactory from ${wallet.account.address}`);
      console.log(await deployFactory(wallet, client));
    }),
  );

  withChain(commission.command("create").description("create an election from a manifest JSON file"))
    .requiredOption("--factory <address>", "the ElectionFactory")
    .requiredOption("--manifest <path>", "the manifest (JSON, docs/protocol.md section 2)")
    .requiredOption("--trustees <addresses>", "the trustees' addresses, comma-separated, in index order")
    .option("--commission <address>", "the election's admin (default: this account)")
    .option("--json", "print the outcome as JSON")
    .action(
      mapped(
        async (
          options: ChainOptions & {
            factory: string;
            manifest: string;
            trustees: string;
            commission?: string;
            json?: boolean;
          },
        ) => {
          const factory = parseAddress(options.factory, "--factory");
          const trustees = parseAddressList(options.trustees, "--trustees");
          let bytes: Uint8Array;
          try {
            bytes = fs.readFileSync(options.manifest);
          } catch (error) {
            throw new CliError(
              `cannot read manifest ${options.manifest}: ${(error as NodeJS.ErrnoException).code}`,
              EXIT_USAGE,
            );
          }
          const parsed = parseManifestBytes(bytes);
          if (!parsed.ok) throw new CliError(`${options.manifest}: ${parsed.reason}`, EXIT_USAGE);
          const { client, wallet } = await commissionClients(options);
          const admin =
            options.commission === undefined
              ? wallet.account.address
              : parseAddress(options.commission, "--commission");
          const now = Number((await client.getBlock()).timestamp);
          const params = electionParamsOf(parsed.manifest, trustees, admin, now);
          if (!params.ok) throw new CliError(`${options.manifest}: ${params.reason}`, EXIT_USAGE);
          progress(`creating election "${parsed.manifest.electionId}" at factory ${factory}`);
          const { election, blockNumber } = await createElection(
            wallet,
            client,
            factory,
            params.params,
            manifestBytes(parsed.manifest),
          );
          if (options.json)
            console.log(
              json({
                election,
                blockNumber,
                manifestHash: params.params.manifestHash,
                electionId: parsed.manifest.electionId,
              }),
            );
          else console.log(election);
        },
      ),
    );

  withElection(commission.command("appoint").description("grant a service role on the election"))
    .addOption(new Option("--role <role>", "the role").choices(Object.keys(ROLES)).makeOptionMandatory())
    .requiredOption("--account <address>", "the account to appoint")
    .action(
      mapped(
        async (options: ChainOptions & { election: string; role: keyof typeof ROLES; account: string }) => {
          const account = parseAddress(options.account, "--account");
          const { client, wallet, election } = await electionClients(options);
          const role = roleId(ROLES[options.role]);
          const has = await client.readContract({
            address: election,
            abi: electionAbi,
            functionName: "hasRole",
            args: [role, account],
          });
          if (has) {
            console.log(`${account} already holds the ${options.role} role`);
            return;
          }
          await sendElectionTx(wallet, client, election, "grantRole", [role, account]);
          console.log(`appointed ${account} as ${options.role} of election ${election}`);
        },
      ),
    );

  withElection(commission.command("extend").description("move the close of voting later (before it closes)"))
    .requiredOption("--closes-at <time>", "the new close: Unix seconds or an ISO date with a time zone")
    .action(
      mapped(async (options: ChainOptions & { election: string; closesAt: string }) => {
        const closesAt = parseTime(options.closesAt);
        const { client, wallet, election } = await electionClients(options);
        await sendElectionTx(wallet, client, election, "extendWindow", [BigInt(closesAt)]);
        console.log(`voting now closes at ${new Date(closesAt * 1000).toISOString()}`);
      }),
    );

  for (const [name, functionName, done] of [
    ["pause", "pause", "paused: issuance and casting stopped"],
    ["unpause", "unpause", "unpaused: issuance and casting resumed"],
  ] as const)
    withElection(commission.command(name).description(`${name} issuance and ballot casting`)).action(
      mapped(async (options: ChainOptions & { election: string }) => {
        const { client, wallet, election } = await electionClients(options);
        await sendElectionTx(wallet, client, election, functionName, []);
        console.log(done);
      }),
    );

  withElection(
    commission
      .command("restart-ceremony")
      .description("start a new key-ceremony round with these trustees (after a disputed or stalled round)"),
  )
    .requiredOption("--trustees <addresses>", "exactly n trustee addresses, comma-separated, in index order")
    .action(
      mapped(async (options: ChainOptions & { election: string; trustees: string }) => {
        const trustees: Address[] = parseAddressList(options.trustees, "--trustees");
        const { client, wallet, election } = await electionClients(options);
        await sendElectionTx(wallet, client, election, "restartCeremony", [trustees]);
        const round = await client.readContract({
          address: election,
          abi: electionAbi,
          functionName: "ceremonyRound",
        });
        console.log(
          `ceremony round ${round} started with ${trustees.length} trustees; each runs \`trustee ceremony\``,
        );
      }),
    );

  withElection(
    commission
      .command("publish")
      .description("verify the posted decryption shares, combine t valid ones and publish the result"),
  )
    .option("--dry-run", "compute and check the result, post nothing")
    .option("--threads <n>", "worker threads for the ballot checks (default: all cores; 0: none)")
    .option("--json", "print the outcome as JSON")
    .action(
      mapped(
        async (
          options: ChainOptions & { election: string; dryRun?: boolean; threads?: string; json?: boolean },
        ) => {
          const threads =
            options.threads === undefined ? undefined : parsePositiveInteger(options.threads, "--threads");
          const { client, wallet, election } = await electionClients(options);
          const outcome = await publishResult(wallet, client, election, {
            progress,
            threads,
            dryRun: options.dryRun,
          });
          if (options.json) {
            console.log(json(outcome));
            return;
          }
          const verb = {
            published: "published",
            "already-published": "already published",
            "dry-run": "computed (not posted)",
          };
          console.log(`result ${verb[outcome.status]}: ${outcome.resultBytes}`);
          console.log(
            `result hash ${outcome.resultHash}; combined the shares of trustees ${outcome.combined.join(", ")}`,
          );
          for (const bad of outcome.shares.filter((s) => !s.valid))
            console.log(`excluded the share of trustee ${bad.trusteeIndex}: ${bad.reason}`);
        },
      ),
    );

  commission
    .command("status")
    .description("show an election's phase, ceremony, ballots, decryption shares and result")
    .option("--rpc <url>", "JSON-RPC endpoint of a node (default: $BALLOT_LEDGER_RPC)")
    .requiredOption("--election <address>", "the election contract")
    .option("--json", "print the status as JSON")
    .action(
      mapped(async (options: { rpc?: string; election: string; json?: boolean }) => {
        await initCrypto();
        const election = parseAddress(options.election, "--election");
        const endpoint = await connectTo(rpcUrlOf(options.rpc));
        const client = publicClientFor(endpoint);
        await requireElection(client, election);
        const status = await electionStatus(client, election);
        if (options.json) console.log(json(status));
        else printStatus(status);
      }),
    );

  return usageErrorsExit2(commission);
}
