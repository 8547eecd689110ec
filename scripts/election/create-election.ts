import fs from "node:fs";
import type { Address } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { publicClientFor, walletClientFor } from "../../server/chain/clients";
import { createElection, deployFactory, roleId } from "../../server/chain/deploy";
import { sendElectionTx } from "../../server/chain/election-reader";
import { electionParamsOf } from "../../server/commission/election-params";
import { manifestBytes, parseManifest, type Manifest } from "../../server/protocol/manifest";
import { CliError, EXIT_USAGE } from "../../server/cli/errors";
import type { Chain } from "./chain";
import { step } from "./progress";

/**
 * Stage 1, the commission: deploys the election factory, creates the election
 * from scripts/sample-manifest.json (two districts, party list + district
 * seat, re-voting) and appoints the registrar, the relays and the observers.
 * The window opens an hour from now and lasts three days on the embedded
 * chain (whose clock the simulation moves), ten minutes of real time on an
 * external chain.
 */
export interface CreatedElection {
  factory: Address;
  election: Address;
  manifest: Manifest;
}

/** The manifest file with the run's voting window; a CliError (exit 2) when it cannot be read or parsed. */
function manifestWithWindow(file: string, opensAt: number, closesAt: number): Manifest {
  let raw;
  try {
    raw = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new CliError(`--manifest ${file}: ${(error as Error).message}`, EXIT_USAGE);
  }
  if (raw === null || typeof raw !== "object" || Array.isArray(raw))
    throw new CliError(`--manifest ${file}: not a JSON object`, EXIT_USAGE);
  raw.votingWindow = { opensAt, closesAt };
  const parsed = parseManifest(raw);
  if (!parsed.ok) throw new CliError(`--manifest ${file}: ${parsed.reason}`, EXIT_USAGE);
  return parsed.manifest;
}

export async function createSampleElection(chain: Chain, manifestFile: string): Promise<CreatedElection> {
  const { endpoint, accounts } = chain;
  const client = publicClientFor(endpoint);
  const commission = walletClientFor(endpoint, accounts.commission);
  step("deploying the election factory");
  const factory = await deployFactory(commission, client);
  const now = Number((await client.getBlock({ blockTag: "latest" })).timestamp);
  // The embedded chain's clock is moved through three days; a real chain's window is short and real.
  const window = chain.window ?? { opensIn: 3600, length: 3 * 86_400 };
  const opensAt = now + window.opensIn;
  const manifest = manifestWithWindow(manifestFile, opensAt, opensAt + window.length);
  const trusteeAddresses = accounts.trustees.map((k) => privateKeyToAccount(k).address);
  const params = electionParamsOf(manifest, trusteeAddresses, commission.account.address, now);
  if (!params.ok) throw new CliError(`--manifest ${manifestFile}: ${params.reason}`, EXIT_USAGE);
  step(
    `creating election "${manifest.electionId}" (${manifest.ballotStyles.length} ballot styles, 3-day window)`,
  );
  const { election } = await createElection(
    commission,
    client,
    factory,
    params.params,
    manifestBytes(manifest),
  );
  for (const [role, key] of [
    ["REGISTRAR_ROLE", accounts.registrar],
    ...accounts.relays.map((k) => ["RELAY_ROLE", k] as const),
    ...accounts.observers.map((k) => ["OBSERVER_ROLE", k] as const),
  ] as const)
    await sendElectionTx(commission, client, election, "grantRole", [
      roleId(role),
      privateKeyToAccount(key).address,
    ]);
  return { factory, election, manifest };
}
