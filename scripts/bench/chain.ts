/**
 * Chain-bound benchmark of the local Clique network (`npm run bench:chain`,
 * add `-- --json` for one JSON object on stdout): how many ballots a second
 * the replicated chain itself records, and what each node pays for them.
 *
 * bench:network drives voters end to end, so its rate is the voters'. Here
 * N valid ballots (each a distinct voter with its own blind-signed credential,
 * made beforehand on worker threads) are sent as castBallots batches cut to
 * geth's 128 KiB transaction limit, by four relay accounts, each to its own
 * validator, with a few transactions in flight each. Prints:
 *
 *   ballotsPerSecond   ballots recorded / seconds from the first send to the last receipt
 *   gasPerBallot       gas of the castBallots transactions / ballots, and the gas per second
 *   blockUse           gas used / gas limit over the blocks that carry ballots (mean, max)
 *   cpuMsPerBallot     CPU (user + system, from /proc) of every node during the run, per ballot:
 *                      what one node pays to import (validators: also to seal) one ballot
 *   diskBytesPerBallot growth of the audit node's data folder (an archive node) per ballot
 *   gasPerIssuance     gas of the registrar's journal entry (recordIssuance), one transaction a voter
 *
 * Every node of the 7 runs on this one machine, so the rate is bounded by the
 * machine's cores shared by 7 nodes; the per-node CPU is what sizes a real
 * deployment (docs/performance.md, "Hardware for 8 million ballots").
 *
 *   npx tsx scripts/bench/chain.ts [--ballots N (2000)] [--in-flight K (4)] [--json]
 */
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { encodeFunctionData, toHex, type Hex } from "viem";
import { publicClientFor, walletClientFor, type AccountWalletClient } from "../../server/chain/clients";
import { sendElectionTx } from "../../server/chain/election-reader";
import { electionAbi } from "../../server/chain/generated/abis";
import { LocalNetwork } from "../../server/network/network";
import { ENGINE_LIMITS } from "../../server/network/params";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { batchGas } from "../../server/relay/submitter";
import { setUpElection } from "../../test/chain/election-flow";
import { liveManifest } from "../../test/services/live-election";
import { cpuSeconds, folderBytes } from "./proc";
import { makeBallotsOnWorkers } from "./relay-ballot-maker";

const argv = process.argv.slice(2);
const json = argv.includes("--json");
const option = (name: string, fallback: number): number => {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isInteger(value) || value < 1) {
    console.error(`bench:chain: --${name} takes a positive integer`);
    process.exit(2);
  }
  return value;
};
const BALLOTS = option("ballots", 2000);
const IN_FLIGHT = option("in-flight", 4);
const SENDERS = 4;
const log = (line: string) => console.error(`• ${line}`);
const round = (x: number, digits = 2) => Number(x.toFixed(digits));

interface CastBallot {
  ballot: Hex;
  sequence: bigint;
  signature: Hex;
}

const castBallotsData = (ballots: readonly CastBallot[]): Hex =>
  encodeFunctionData({ abi: electionAbi, functionName: "castBallots", args: [ballots] });

/** Batches of consecutive ballots, each the longest whose transaction stays under geth's size limit. */
function cutBatches(ballots: readonly CastBallot[]): CastBallot[][] {
  const maxBytes = ENGINE_LIMITS.maxTransactionBytes - 1024;
  const perBallot = (castBallotsData(ballots.slice(0, 10)).length - 2) / 2 / 10;
  const size = Math.max(1, Math.floor(maxBytes / perBallot) - 1);
  const batches: CastBallot[][] = [];
  for (let start = 0; start < ballots.length; start += size) batches.push(ballots.slice(start, start + size));
  for (const batch of batches)
    if ((castBallotsData(batch).length - 2) / 2 > maxBytes) throw new Error("a batch exceeds 128 KiB");
  return batches;
}

/** One relay account: sends batches from the shared list, at most IN_FLIGHT unconfirmed at a time. */
async function sendAll(
  rpcUrl: string,
  wallet: AccountWalletClient,
  election: Hex,
  batches: CastBallot[][],
  included: (gasUsed: bigint, ballots: number, block: bigint) => void,
): Promise<void> {
  const client = publicClientFor({ rpcUrl, chainId: wallet.chain.id });
  let nonce = await client.getTransactionCount({ address: wallet.account.address, blockTag: "pending" });
  const pending = new Set<Promise<void>>();
  for (;;) {
    const batch = batches.shift();
    if (batch === undefined) break;
    const hash = await wallet.sendTransaction({
      to: election,
      data: castBallotsData(batch),
      gas: batchGas(batch.map((b) => ({ ballot: Buffer.from(b.ballot.slice(2), "hex") }))),
      nonce: nonce++,
    });
    const settled: Promise<void> = client
      .waitForTransactionReceipt({ hash, pollingInterval: 200, timeout: 300_000 })
      .then((receipt) => {
        if (receipt.status !== "success") throw new Error(`castBallots ${hash} reverted`);
        included(receipt.gasUsed, batch.length, receipt.blockNumber);
      })
      .finally(() => pending.delete(settled));
    pending.add(settled);
    if (pending.size >= IN_FLIGHT) await Promise.race(pending);
  }
  await Promise.all(pending);
}

async function main() {
  await initCrypto();
  const root = fs.mkdtempSync(path.join(os.tmpdir(), "bl-bench-chain-"));
  const network = await LocalNetwork.create(path.join(root, "network"), { ports: "free" });
  try {
    log("a fresh local Clique network (4 validators, 2 observer nodes, 1 audit node)");
    await network.start();
    const validators = network.validators;
    const keys = [
      "commission",
      "registrar",
      "relay-1",
      "relay-2",
      "spare-1",
      "spare-2",
      "observer-1",
      "trustee-1",
      "trustee-2",
      "trustee-3",
    ].map((name) => network.accountKey(name));
    const node = {
      kind: "hardhat" as const,
      rpcUrl: validators[0].rpcUrl,
      chainId: network.layout.chainId,
      privateKeys: keys,
      stop: async () => undefined,
    };
    log("the election, its key ceremony and registrar keys (about 40 transactions)");
    // setUpElection opens the window an hour after its start; on a real-time chain it opens 3 minutes after.
    const e = await setUpElection(node, (opensAt) => liveManifest({}, opensAt - 3600 + 180), {
      relays: SENDERS,
    });
    const started = Date.now();
    log(
      `${BALLOTS} ballots (a voter and a blind-signed credential each) on ${os.availableParallelism()} threads`,
    );
    const pem = e.registrarKeys[0].privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const bodies = await makeBallotsOnWorkers({ context: e.context, registrarPem: pem, options: 5 }, BALLOTS);
    const ballots: CastBallot[] = bodies.map((body) => {
      const b = JSON.parse(body) as { ballot: Hex; sequence: string; signature: Hex };
      return { ballot: b.ballot, sequence: BigInt(b.sequence), signature: b.signature };
    });
    log(`ballots made in ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for the window to open`);
    while (
      Number((await e.client.getBlock({ blockTag: "latest" })).timestamp) <= e.manifest.votingWindow.opensAt
    )
      await new Promise((resolve) => setTimeout(resolve, 1_000));

    const batches = cutBatches(ballots);
    const batchSize = batches[0].length;
    const rpcUrls = e.relays.map((_, i) => validators[i % validators.length].rpcUrl);
    const senders = rpcUrls.map((rpcUrl, i) =>
      walletClientFor({ rpcUrl, chainId: node.chainId }, keys[2 + i]),
    );
    if (senders.some((s, i) => s.account.address !== e.relays[i].account.address))
      throw new Error("relay accounts out of order");
    const pids = network.nodes.map((n) => n.pid());
    const cpuBefore = pids.map((pid) => (pid === null ? NaN : cpuSeconds(pid)));
    const diskBefore = folderBytes(network.node("audit").dataDir);
    let gas = 0n;
    let recorded = 0;
    const blocks = new Set<bigint>();
    log(`sending ${batches.length} batches of up to ${batchSize} ballots from ${SENDERS} relay accounts`);
    const sendStart = Date.now();
    await Promise.all(
      senders.map((wallet, i) =>
        sendAll(rpcUrls[i], wallet, e.election, batches, (gasUsed, count, block) => {
          gas += gasUsed;
          recorded += count;
          blocks.add(block);
        }),
      ),
    );
    const seconds = (Date.now() - sendStart) / 1000;
    const cpuAfter = pids.map((pid) => (pid === null ? NaN : cpuSeconds(pid)));
    // The audit node keeps every state (archive) as every node here does; geth writes in the background, so stop it first.
    await network.node("audit").stop();
    const diskBytesPerBallot = Math.round(
      (folderBytes(network.node("audit").dataDir) - diskBefore) / BALLOTS,
    );
    const count = await e.client.readContract({
      address: e.election,
      abi: electionAbi,
      functionName: "ballotCount",
    });
    if (Number(count) !== BALLOTS || recorded !== BALLOTS)
      throw new Error(`${BALLOTS} ballots sent, ${recorded} in receipts, ${count} on chain`);
    const uses: number[] = [];
    const numbers = [...blocks].sort((a, b) => (a < b ? -1 : 1));
    for (let n = numbers[0]; n <= numbers[numbers.length - 1]; n++) {
      const block = await e.client.getBlock({ blockNumber: n });
      uses.push(Number(block.gasUsed) / Number(block.gasLimit));
    }
    // The registrar's journal: one recordIssuance transaction a voter (server/registrar), measured on its own.
    const issuanceGas: bigint[] = [];
    for (let i = 0; i < 5; i++) {
      const receipt = await sendElectionTx(e.registrar, e.client, e.election, "recordIssuance", [
        toHex(crypto.randomBytes(32)),
        0,
        toHex(crypto.randomBytes(32)),
      ]);
      issuanceGas.push(receipt.gasUsed);
    }
    const cpuMsPerBallot = Object.fromEntries(
      network.nodes.map((n, i) => [n.name, round(((cpuAfter[i] - cpuBefore[i]) * 1000) / BALLOTS, 3)]),
    );
    const result = {
      ballots: BALLOTS,
      batchSize,
      senders: SENDERS,
      inFlightPerSender: IN_FLIGHT,
      seconds: round(seconds, 1),
      ballotsPerSecond: round(BALLOTS / seconds),
      gasPerBallot: Math.round(Number(gas) / BALLOTS),
      gasPerSecond: Math.round(Number(gas) / seconds),
      blockUse: {
        blocks: uses.length,
        mean: round(uses.reduce((a, b) => a + b, 0) / uses.length, 4),
        max: round(Math.max(...uses), 4),
      },
      cpuMsPerBallot,
      diskBytesPerBallot,
      gasPerIssuance: Math.round(Number(issuanceGas.reduce((a, b) => a + b, 0n)) / issuanceGas.length),
      cores: os.availableParallelism(),
      loadAverage: os.loadavg().map((l) => round(l)),
    };
    if (json) console.log(JSON.stringify(result));
    else {
      console.log(
        `${BALLOTS} ballots in ${result.seconds} s: ${result.ballotsPerSecond} ballots/s, ${result.gasPerBallot} gas each, ${result.gasPerSecond.toLocaleString("en")} gas/s`,
      );
      console.log(
        `blocks ${result.blockUse.blocks}, use mean ${result.blockUse.mean}, max ${result.blockUse.max}`,
      );
      console.log(`CPU ms per ballot: ${JSON.stringify(cpuMsPerBallot)}`);
      console.log(`disk per ballot (archive node): ${diskBytesPerBallot} bytes`);
      console.log(`gas per credential issuance (its own transaction): ${result.gasPerIssuance}`);
      console.log(`load average ${result.loadAverage.join(" ")} on ${result.cores} cores`);
    }
  } finally {
    await network.stop();
    fs.rmSync(root, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench:chain: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
