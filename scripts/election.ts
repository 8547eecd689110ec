/**
 * The main job (`npm start`). For now: starts the embedded chain, deploys the
 * factory, creates an election from the sample manifest (two districts, three
 * days of voting, re-voting allowed) and prints its address and phase. Later
 * issues grow it into a whole election.
 *
 *   npm start                  progress on stderr, a summary on stdout
 *   npm start -- --json        the summary as one JSON object on stdout
 */
import fs from "node:fs";
import path from "node:path";
import { toHex, type Address } from "viem";
import { publicClientFor, walletClientFor } from "../server/chain/clients";
import { createElection, deployFactory, PHASE_NAMES, RevotePolicy } from "../server/chain/deploy";
import { electionAbi } from "../server/chain/generated/abis";
import { startLocalNode } from "../server/chain/local-node";
import { manifestBytes, manifestHash, parseManifest, type Manifest } from "../server/protocol/manifest";
import { initCrypto } from "../server/protocol/primitives/sodium";

const json = process.argv.includes("--json");
const progress = (line: string) => console.error(`• ${line}`);

function loadSampleManifest(opensAt: number): Manifest {
  const file = path.join(__dirname, "sample-manifest.json");
  const raw = JSON.parse(fs.readFileSync(file, "utf8"));
  const days = raw.votingWindow.closesAt - raw.votingWindow.opensAt;
  raw.votingWindow = { opensAt, closesAt: opensAt + days };
  const parsed = parseManifest(raw);
  if (!parsed.ok) throw new Error(`${file}: ${parsed.reason}`);
  return parsed.manifest;
}

async function main() {
  await initCrypto();
  progress("starting the embedded chain (Hardhat node)");
  const node = await startLocalNode({ kind: "hardhat" });
  try {
    const endpoint = { rpcUrl: node.rpcUrl, chainId: node.chainId };
    const client = publicClientFor(endpoint);
    const [commission, ...others] = node.privateKeys.map((key) => walletClientFor(endpoint, key));
    progress(`chain ${node.chainId} at ${node.rpcUrl}; deploying the election factory`);
    const factory = await deployFactory(commission, client);
    const now = Number((await client.getBlock()).timestamp);
    const manifest = loadSampleManifest(now + 3600);
    const trustees: Address[] = others.slice(2, 2 + manifest.trustees.count).map((w) => w.account.address);
    progress(`creating election "${manifest.electionId}" (${manifest.ballotStyles.length} ballot styles)`);
    const { election } = await createElection(
      commission,
      client,
      factory,
      {
        manifestHash: toHex(manifestHash(manifest)),
        opensAt: BigInt(manifest.votingWindow.opensAt),
        closesAt: BigInt(manifest.votingWindow.closesAt),
        revotePolicy: manifest.revotePolicy === "none" ? RevotePolicy.None : RevotePolicy.LastBallotCounts,
        threshold: manifest.trustees.threshold,
        trustees,
        ballotStyleCount: manifest.ballotStyles.length,
        commission: commission.account.address,
      },
      manifestBytes(manifest),
    );
    const phase = await client.readContract({ address: election, abi: electionAbi, functionName: "phase" });
    const summary = {
      chainId: node.chainId,
      factory,
      election,
      manifestHash: toHex(manifestHash(manifest)),
      phase: PHASE_NAMES[phase],
      opensAt: new Date(manifest.votingWindow.opensAt * 1000).toISOString(),
      closesAt: new Date(manifest.votingWindow.closesAt * 1000).toISOString(),
      trustees: { n: manifest.trustees.count, t: manifest.trustees.threshold },
    };
    if (json) console.log(JSON.stringify(summary));
    else {
      console.log(`election ${summary.election} (factory ${summary.factory}, chain ${summary.chainId})`);
      console.log(
        `phase    ${summary.phase}: waiting for the key ceremony of ${summary.trustees.n} trustees (threshold ${summary.trustees.t})`,
      );
      console.log(`window   ${summary.opensAt} .. ${summary.closesAt}`);
    }
  } finally {
    await node.stop();
  }
}

main().catch((error) => {
  console.error(`election: ${error instanceof Error ? error.message : String(error)}`);
  process.exit(1);
});
