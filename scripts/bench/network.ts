/**
 * Network benchmark: `npm run bench:network` (add `-- --json` for one JSON object on stdout).
 *
 * The same election, through the main job's stages (scripts/election/), on a
 * fresh local Clique network (docs/network.md: 4 validators, every actor on a
 * node of its own, 3 confirmations) and on the embedded Hardhat node: V voters
 * get a credential and vote through the two relays as fast as 8 at a time
 * can, while both observers follow their own nodes. Prints, for each chain:
 *
 *   accepted/s       ballots the relays accepted (receipts), per second of voting
 *   onChain/s        ballots recorded on chain, from the first receipt to the last ballot on chain
 *   gasPerBallot     gas of the castBallots transactions / ballots, and ballots per transaction
 *   blockUse         gas used / gas limit over the blocks of the voting (mean and max)
 *   latency p50/p99  seconds from a ballot's receipt to the moment both observers have checked it
 *
 *   npx tsx scripts/bench/network.ts [--voters V] [--only clique|hardhat] [--json]     (default 200 voters, both)
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pino from "pino";
import type { Hex } from "viem";
import { publicClientFor } from "../../server/chain/clients";
import { electionAbi } from "../../server/chain/generated/abis";
import { readElectionRecord } from "../../server/chain/election-reader";
import { LocalNetwork } from "../../server/network/network";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { loadElectionRules } from "../../server/service/election-info";
import { castVote } from "../../server/voter/voter";
import { localNetworkChain, openChain, reachTime, type Chain } from "../election/chain";
import { runKeyCeremony } from "../election/ceremony";
import { createSampleElection } from "../election/create-election";
import { startServices } from "../election/services";
import { drawChoices, drawVoters, inParallel, seededRandom } from "../election/simulation";

const json = process.argv.includes("--json");
const votersArg = process.argv.indexOf("--voters");
const VOTERS = votersArg === -1 ? 200 : Number(process.argv[votersArg + 1]);
if (!Number.isInteger(VOTERS) || VOTERS < 10 || VOTERS > 100_000) {
  console.error("bench:network: --voters must be an integer between 10 and 100,000");
  process.exit(2);
}
const onlyArg = process.argv.indexOf("--only");
const ONLY = onlyArg === -1 ? null : process.argv[onlyArg + 1];
if (ONLY !== null && ONLY !== "clique" && ONLY !== "hardhat") {
  console.error("bench:network: --only must be clique or hardhat");
  process.exit(2);
}
const log = (line: string) => console.error(line);
const MANIFEST = path.join(__dirname, "..", "sample-manifest.json");

const quantile = (sorted: number[], q: number) =>
  sorted.length === 0 ? 0 : sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

async function measure(label: string, chain: Chain, dir: string) {
  for (const sub of ["trustees", "wallets", "services", "observers"])
    fs.mkdirSync(path.join(dir, sub), { recursive: true });
  const logger = pino(
    { level: "warn" },
    pino.destination({ dest: path.join(dir, "services.log"), sync: false }),
  );
  const next = seededRandom(7);
  log(`${label}: election, key ceremony, services`);
  const created = await createSampleElection(chain, MANIFEST);
  await runKeyCeremony(chain, created, dir);
  const voters = drawVoters(VOTERS, created.manifest, next);
  const services = await startServices(chain, created, voters, dir, logger);
  let following = true;
  let follow: Promise<void> = Promise.resolve();
  try {
    const client = publicClientFor(chain.roles.audit);
    await reachTime(chain, publicClientFor(chain.endpoint), created.manifest.votingWindow.opensAt + 1);
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const rules = await loadElectionRules(client, created.election);
    const firstBlock = await client.getBlockNumber({ cacheTime: 0 });
    const receivedAt = new Map<string, number>();
    const verifiedAt = new Map<string, number>();
    // Both observers follow their own nodes; a ballot is verified when both have checked it.
    follow = (async () => {
      while (following) {
        await Promise.all(services.observers.map((o) => o.sync().catch(() => undefined)));
        const checked = services.observers.map(
          (o) => new Set([...o.store.checkedBallots()].map((b) => b.ballotHash.toLowerCase())),
        );
        const now = Date.now();
        for (const hash of checked[0])
          if (checked.every((set) => set.has(hash)) && !verifiedAt.has(hash)) verifiedAt.set(hash, now);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    log(`${label}: ${VOTERS} voters vote, 8 at a time, through 2 relays`);
    const choices = voters.map((v) => drawChoices(created.manifest, v.style, next));
    const started = Date.now();
    await inParallel(voters, 8, async (voter, i) => {
      const result = await castVote({
        client,
        election: created.election,
        registrarUrl: services.registrar.url,
        relayUrls:
          i % 2 === 0 ? services.relays.map((r) => r.url) : services.relays.map((r) => r.url).reverse(),
        voterId: voter.voterId,
        code: voter.code,
        style: voter.style,
        choices: choices[i],
        walletFile: path.join(dir, "wallets", `${voter.voterId}.json`),
        rules,
      });
      receivedAt.set(result.ballotHash.toLowerCase(), Date.now());
    });
    const acceptedSeconds = (Date.now() - started) / 1000;
    const ballotCount = async () =>
      Number(
        await client.readContract({
          address: created.election,
          abi: electionAbi,
          functionName: "ballotCount",
        }),
      );
    while ((await ballotCount()) < VOTERS) await new Promise((resolve) => setTimeout(resolve, 200));
    const onChainSeconds = (Date.now() - started) / 1000;
    const deadline = Date.now() + 300_000;
    while (verifiedAt.size < VOTERS && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    following = false;
    await follow;
    const lastBlock = await client.getBlockNumber({ cacheTime: 0 });

    const record = await readElectionRecord(client, created.election);
    const transactions = [...new Set(record.ballots.map((b) => b.transactionHash))];
    let gas = 0n;
    for (const hash of transactions)
      gas += (await client.getTransactionReceipt({ hash: hash as Hex })).gasUsed;
    const uses: number[] = [];
    for (let n = firstBlock + 1n; n <= lastBlock; n++) {
      const block = await client.getBlock({ blockNumber: n });
      uses.push(Number(block.gasUsed) / Number(block.gasLimit));
    }
    const latencies = [...receivedAt]
      .filter(([hash]) => verifiedAt.has(hash))
      .map(([hash, at]) => (verifiedAt.get(hash)! - at) / 1000)
      .sort((a, b) => a - b);
    return {
      chain: label,
      voters: VOTERS,
      acceptedPerSecond: round(VOTERS / acceptedSeconds),
      onChainPerSecond: round(VOTERS / onChainSeconds),
      gasPerBallot: Math.round(Number(gas) / record.ballots.length),
      ballotsPerTransaction: round(record.ballots.length / transactions.length, 1),
      blockUse: {
        blocks: uses.length,
        mean: round(uses.reduce((a, b) => a + b, 0) / Math.max(1, uses.length), 4),
        max: round(Math.max(0, ...uses), 4),
      },
      receiptToVerifiedSeconds: {
        p50: round(quantile(latencies, 0.5)),
        p99: round(quantile(latencies, 0.99)),
        measured: latencies.length,
      },
    };
  } finally {
    following = false;
    await follow.catch(() => undefined);
    await services.close();
  }
}

async function main() {
  await initCrypto();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "bl-bench-network-"));
  const results: Awaited<ReturnType<typeof measure>>[] = [];
  try {
    if (ONLY !== "hardhat") {
      log("bench:network: a fresh local Clique network (7 nodes)");
      const network = await LocalNetwork.create(path.join(root, "network"), { ports: "free" });
      try {
        await network.start();
        const chain = localNetworkChain(network, { opensIn: 180, length: 900 });
        results.push(await measure("clique", chain, path.join(root, "clique")));
        log(`bench:network: ${JSON.stringify(results.at(-1))}`);
      } finally {
        await network.stop();
      }
    }
    if (ONLY !== "clique") {
      const embedded = await openChain(null);
      try {
        results.push(await measure("hardhat", embedded, path.join(root, "hardhat")));
      } finally {
        await embedded.node?.stop();
      }
    }
  } finally {
    fs.rmSync(root, { recursive: true, force: true });
  }
  if (json) console.log(JSON.stringify({ results }));
  else {
    console.log(
      "| chain | voters | accepted/s | on chain/s | gas/ballot | ballots/tx | block use mean / max | receipt→verified p50 / p99 (s) |",
    );
    console.log("|---|---:|---:|---:|---:|---:|---:|---:|");
    for (const r of results)
      console.log(
        `| ${r.chain} | ${r.voters} | ${r.acceptedPerSecond} | ${r.onChainPerSecond} | ${r.gasPerBallot} | ${r.ballotsPerTransaction} | ${r.blockUse.mean} / ${r.blockUse.max} | ${r.receiptToVerifiedSeconds.p50} / ${r.receiptToVerifiedSeconds.p99} |`,
      );
  }
}

main().catch((error: unknown) => {
  console.error(`bench:network: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
