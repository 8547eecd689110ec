/**
 * A big recorded election, measured (`npm run bench:record`, add `-- --json`
 * for one JSON object on stdout and nothing else): N ballots on an anvil
 * chain, then an observer catching up on it, the record's export and
 * `audit verify` on the export, each in a process of its own.
 *
 *   1. anvil (London rules, automine, every state kept: the observer reads
 *      the ledger's state at the end of each range it indexes; anvil holds
 *      every block, transaction and receipt in memory, about 43 KB a ballot),
 *      or with --node geth one go-ethereum node in developer mode
 *      (record-geth.ts: 1-s blocks, an archive on disk; the window opens two
 *      minutes after the start and the commission extends it while needed);
 *   2. a real election with the tests' one builder (test/chain/election-flow.ts:
 *      factory, roles, a key ceremony of 3 trustees (2 decrypt), a registrar
 *      key, a three-day window): the reference ballot (party list, 5 options,
 *      choose 1);
 *   3. N distinct, fully valid ballots made on one worker thread per core
 *      (record-ballots.ts: a fresh voter key, its own credential and
 *      nullifier, encrypted afresh, EIP-712 signed), written to files;
 *   4. one credential issuance journaled per voter (recordIssuances, 200 a
 *      transaction; V6.3: counted <= issued per style), beside step 3: it
 *      needs no ballot, and the node's work fits beside the generator's;
 *   5. the ballots recorded with castBallots batches cut to 128 KiB (geth's
 *      limit, what a relay sends) from several relay accounts, several
 *      transactions in flight each: the chain's ingest rate, gas per ballot,
 *      the node's CPU per ballot and peak RSS;
 *   6. the window closed (the node's clock moved), then, each its own
 *      process: an observer catching up on the whole chain
 *      (record-observer.ts); the trustees' decryption shares of its aggregate
 *      and the commission's result posted; the export (record-export.ts: the
 *      reader and writer of `ballot-ledger audit export`, with smaller log
 *      pages); `ballot-ledger audit verify` on the export, which must say the record
 *      holds, with N ballots counted and the counts the generator's choices
 *      give.
 *
 *   npx tsx scripts/bench/record.ts [--ballots N (1000)] [--json] [--node anvil|geth (anvil)] [--out DIR (kept; default a temporary folder, removed)]
 *     [--threads T (generator threads, every core)] [--senders S (4)] [--in-flight K (4)]
 *     [--prune-history STATES (0: anvil's default, every state kept; the observer reads the
 *     ledger's state at the end of each range, so pruned states make it fail)] [--page-blocks B (20): eth_getLogs pages]
 */
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { encodeFunctionData, toHex, type Hex } from "viem";
import type { AccountWalletClient } from "../../server/chain/clients";
import type { ChainPublicClient } from "../../server/chain/deploy";
import { electionAbi } from "../../server/chain/generated/abis";
import { startLocalNode } from "../../server/chain/local-node";
import { sendElectionTx } from "../../server/chain/election-reader";
import { ENGINE_LIMITS } from "../../server/network/params";
import { cryptoBackend } from "../../server/protocol/primitives/backend";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { aggregateHash, decodeAggregate } from "../../server/protocol/tally";
import { batchGas } from "../../server/relay/submitter";
import { advanceTimeTo, setUpElection } from "../../test/chain/election-flow";
import { cpuSeconds, folderBytes, peakRssMiB } from "./proc";
import { expectedCounts, generateBallotFiles, readBallotFile } from "./record-ballots";
import { startDevGeth } from "./record-geth";
import { ISSUANCE_BATCH, issuanceEntries, publishTally, recordManifest } from "./record-election";

const argv = process.argv.slice(2);
const json = argv.includes("--json");
function option(name: string, fallback: number, minimum = 1): number {
  const i = argv.indexOf(`--${name}`);
  const value = i >= 0 ? Number(argv[i + 1]) : fallback;
  if (!Number.isSafeInteger(value) || value < minimum) {
    console.error(`bench:record: --${name} takes an integer >= ${minimum}`);
    process.exit(2);
  }
  return value;
}
const BALLOTS = option("ballots", 1000);
const THREADS = option("threads", os.availableParallelism());
const SENDERS = option("senders", 4);
const IN_FLIGHT = option("in-flight", 4);
const PRUNE_HISTORY = option("prune-history", 0, 0);
const nodeAt = argv.indexOf("--node");
const NODE = nodeAt >= 0 ? argv[nodeAt + 1] : "anvil";
if (NODE !== "anvil" && NODE !== "geth") {
  console.error("bench:record: --node takes anvil or geth");
  process.exit(2);
}
/** On geth (real time): the window opens this long after the start and is kept open by extensions of this size. */
const GETH_OPENS_AFTER = 120;
const GETH_WINDOW = 180;
/**
 * Blocks per eth_getLogs page of the observer and the export: a block here holds a batch of 78
 * ballots or 200 issuances, and the default page of 2,000 blocks exceeds viem's 10 MB response limit.
 */
const PAGE_BLOCKS = option("page-blocks", 20);
const outAt = argv.indexOf("--out");
const OUT = outAt >= 0 ? path.resolve(argv[outAt + 1]) : null;
const FEES = { maxFeePerGas: 100_000_000_000n, maxPriorityFeePerGas: 1_000_000_000n };

const log = (line: string) => console.error(`• ${new Date().toISOString().slice(11, 19)} ${line}`);
const round = (x: number, digits = 2) => Number(x.toFixed(digits));
const loadAverage = () => os.loadavg().map((l) => round(l));
const projectRoot = path.resolve(__dirname, "..", "..");

interface Transaction {
  data: Hex;
  gas: bigint;
  /** Ballots or issuances it carries. */
  items: number;
}

/**
 * Sends the transactions of a shared iterator from one account, at most
 * `inFlight` unconfirmed at once; `included` gets each receipt's gas.
 */
async function sendPipelined(
  client: ChainPublicClient,
  wallet: AccountWalletClient,
  to: Hex,
  transactions: Iterator<Transaction>,
  inFlight: number,
  included: (gasUsed: bigint, items: number) => void,
): Promise<void> {
  let nonce = await client.getTransactionCount({ address: wallet.account.address, blockTag: "pending" });
  const pending = new Set<Promise<void>>();
  for (;;) {
    const next = transactions.next();
    if (next.done === true) break;
    const tx = next.value;
    const hash = await wallet.sendTransaction({ to, data: tx.data, gas: tx.gas, nonce: nonce++, ...FEES });
    const settled: Promise<void> = (async () => {
      for (;;) {
        const receipt = await client.getTransactionReceipt({ hash }).catch(() => null);
        if (receipt !== null) {
          if (receipt.status !== "success") throw new Error(`transaction ${hash} reverted`);
          included(receipt.gasUsed, tx.items);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, NODE === "geth" ? 250 : 20));
      }
    })().finally(() => pending.delete(settled));
    pending.add(settled);
    if (pending.size >= inFlight) await Promise.race(pending);
  }
  await Promise.all(pending);
}

/** A child process of this bench (node with tsx), its stdout collected; rejects on a non-zero exit. */
function runChild(
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ stdout: string; seconds: number; pid: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--require", require.resolve("tsx/cjs"), ...args], {
      cwd: projectRoot,
      env: { ...process.env, ...env },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-4000)));
    child.once("error", reject);
    child.once("exit", (code) => {
      if (code === 0) resolve({ stdout, seconds: (performance.now() - started) / 1000, pid: child.pid! });
      else reject(new Error(`${args.slice(0, 3).join(" ")} exited with ${code}:\n${stderr}`));
    });
  });
}

/** `ballot-ledger <args>` in one process with the probe preloaded: its time, CPU seconds and peak RSS. */
async function runCli(args: string[], work: string) {
  const probe = path.join(work, `probe-${args[1]}.json`);
  const run = await runChild(
    [
      "--require",
      path.join(__dirname, "record-probe.ts"),
      path.join(projectRoot, "server/cli/main.ts"),
      ...args,
    ],
    { BENCH_RECORD_PROBE: probe },
  );
  const usage = JSON.parse(fs.readFileSync(probe, "utf8")) as { cpuSeconds: number; peakRssMiB: number };
  return { ...run, ...usage };
}

async function main() {
  await initCrypto();
  const loadAtStart = loadAverage();
  const work = OUT ?? fs.mkdtempSync(path.join(os.tmpdir(), "bl-bench-record-"));
  if (OUT !== null) {
    if (fs.existsSync(OUT) && fs.readdirSync(OUT).length > 0) throw new Error(`${OUT} is not empty`);
    fs.mkdirSync(OUT, { recursive: true });
  }
  const anvilArgs = PRUNE_HISTORY > 0 ? ["--prune-history", String(PRUNE_HISTORY)] : [];
  const node =
    NODE === "geth"
      ? await startDevGeth(path.join(work, "geth"))
      : await startLocalNode({ kind: "anvil", anvilArgs });
  const nodePid = node.pid?.() ?? null;
  if (nodePid === null) throw new Error(`${NODE} has no process id`);
  let keepOpen: NodeJS.Timeout | undefined;
  try {
    log(
      `${NODE} ${NODE === "anvil" ? anvilArgs.join(" ") : "--dev (1-s blocks, archive)"}; the election, its key ceremony and registrar key`,
    );
    // anvil's clock is moved; geth's is real: the window opens soon and the commission keeps it open while needed.
    const e = await setUpElection(
      node,
      (opensAt) =>
        NODE === "anvil"
          ? recordManifest(opensAt)
          : recordManifest(opensAt - 3600 + GETH_OPENS_AFTER, GETH_WINDOW),
      { relays: SENDERS },
    );
    const { client, election, context, manifest } = e;
    let closesAt = BigInt(manifest.votingWindow.closesAt);
    const headTime = async () => (await client.getBlock({ blockTag: "latest" })).timestamp;
    if (NODE === "geth") {
      let extending = false;
      keepOpen = setInterval(() => {
        if (extending) return;
        extending = true;
        void (async () => {
          const now = await headTime();
          if (closesAt - now < BigInt(GETH_WINDOW / 2)) {
            const next = now + BigInt(GETH_WINDOW);
            await sendElectionTx(e.commission, client, election, "extendWindow", [next]);
            closesAt = next;
          }
        })()
          .catch((error: unknown) => log(`extending the window failed: ${String(error)}`))
          .finally(() => (extending = false));
      }, 10_000);
    }
    /** anvil: moves the clock past `timestamp`; geth: waits for a block after it. */
    const reachTime = async (timestamp: bigint) => {
      if (NODE === "anvil") return advanceTimeTo(client, Number(timestamp));
      while ((await headTime()) <= timestamp) await new Promise((resolve) => setTimeout(resolve, 1_000));
    };

    // 4. The issuance journal: one entry per voter, recordIssuances batches.
    log(
      `journaling ${BALLOTS} credential issuances (${ISSUANCE_BATCH} a transaction), beside the generation`,
    );
    const issuanceTransactions = function* (): Generator<Transaction> {
      for (let first = 0; first < BALLOTS; first += ISSUANCE_BATCH) {
        const entries = issuanceEntries(first, Math.min(ISSUANCE_BATCH, BALLOTS - first));
        yield {
          data: encodeFunctionData({ abi: electionAbi, functionName: "recordIssuances", args: [entries] }),
          gas: 100_000n + 60_000n * BigInt(entries.length),
          items: entries.length,
        };
      }
    };
    const journal = async () => {
      let issuanceGas = 0n;
      let issued = 0;
      const issuanceStart = performance.now();
      // One registrar account: more of its transactions in flight than a relay's (geth takes 64 an account here).
      await sendPipelined(
        client,
        e.registrar,
        election,
        issuanceTransactions(),
        4 * IN_FLIGHT,
        (gas, items) => {
          issuanceGas += gas;
          issued += items;
        },
      );
      return {
        seconds: (performance.now() - issuanceStart) / 1000,
        gasPerIssuance: Math.round(Number(issuanceGas) / issued),
      };
    };
    // The journal needs no ballot: it runs beside the generation (the node's work beside the generator's threads).
    const journaling = journal();
    journaling.catch(() => undefined); // awaited below, after the generation: a failure is thrown there
    // 3. The ballots.
    log(`${BALLOTS} ballots on ${THREADS} threads (${cryptoBackend()} core)`);
    const pem = e.registrarKeys[0].privateKey.export({ format: "pem", type: "pkcs8" }).toString();
    const generationCpu = cpuSeconds(process.pid);
    const generationStart = performance.now();
    let reported = 0;
    const files = await generateBallotFiles(
      { context, registrarPem: pem, styleIndex: 0 },
      BALLOTS,
      path.join(work, "ballots"),
      {
        threads: THREADS,
        progress: (made) => {
          if (made - reported >= Math.max(10_000, BALLOTS / 10)) {
            reported = made;
            log(`  ${made} made`);
          }
        },
      },
    );
    const generation = {
      seconds: (performance.now() - generationStart) / 1000,
      cpuSeconds: cpuSeconds(process.pid) - generationCpu,
      fileBytes: files.reduce((n, f) => n + fs.statSync(f).size, 0),
    };

    const issuance = await journaling;
    log(`generation: ${JSON.stringify(generation)}; issuance: ${JSON.stringify(issuance)}`);

    // 5. The ballots on chain.
    await reachTime(BigInt(manifest.votingWindow.opensAt));
    const perBallot = (sample: { ballot: Hex; sequence: bigint; signature: Hex }[]) =>
      (encodeFunctionData({ abi: electionAbi, functionName: "castBallots", args: [sample] }).length - 2) /
      2 /
      sample.length;
    const firstBatch = readBallotFile(files[0], 10).next();
    if (firstBatch.done === true) throw new Error("no ballots made");
    const batchSize = Math.min(
      200,
      Math.floor((ENGINE_LIMITS.maxTransactionBytes - 1024) / perBallot(firstBatch.value)) - 1,
    );
    const ballotTransactions = function* (): Generator<Transaction> {
      for (const file of files)
        for (const batch of readBallotFile(file, batchSize))
          yield {
            data: encodeFunctionData({ abi: electionAbi, functionName: "castBallots", args: [batch] }),
            gas: batchGas(batch.map((b) => ({ ballot: Buffer.from(b.ballot.slice(2), "hex") }))),
            items: batch.length,
          };
    };
    const shared = ballotTransactions();
    const senders = e.relays;
    log(
      `recording the ballots: batches of ${batchSize} from ${senders.length} relay accounts, ${IN_FLIGHT} in flight each`,
    );
    const nodeCpuBefore = cpuSeconds(nodePid);
    const firstBlock = await client.getBlockNumber({ cacheTime: 0 });
    let ballotGas = 0n;
    let recorded = 0;
    let transactions = 0;
    const ingestStart = performance.now();
    await Promise.all(
      senders.map((wallet) =>
        sendPipelined(client, wallet, election, shared, IN_FLIGHT, (gas, items) => {
          ballotGas += gas;
          recorded += items;
          transactions++;
          if (recorded % 50_000 < items) log(`  ${recorded} on chain`);
        }),
      ),
    );
    const ingestSeconds = (performance.now() - ingestStart) / 1000;
    const count = await client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "ballotCount",
    });
    if (Number(count) !== BALLOTS || recorded !== BALLOTS)
      throw new Error(`${BALLOTS} ballots made, ${recorded} in receipts, ${count} on chain`);
    const ingest = {
      seconds: ingestSeconds,
      ballotsPerSecond: BALLOTS / ingestSeconds,
      transactions,
      batchSize,
      blocks: Number((await client.getBlockNumber({ cacheTime: 0 })) - firstBlock),
      gasPerBallot: Math.round(Number(ballotGas) / BALLOTS),
      nodeCpuMsPerBallot: ((cpuSeconds(nodePid) - nodeCpuBefore) * 1000) / BALLOTS,
      nodePeakRssMiB: peakRssMiB(nodePid),
    };
    log(`ingest: ${JSON.stringify(ingest)}`);
    for (const file of files) fs.rmSync(file);

    // 6. The close, then an observer catches up (its own process).
    clearInterval(keepOpen);
    log(`closing the window (${NODE === "geth" ? "waiting for the close" : "moving the clock"})`);
    closesAt = await client.readContract({ address: election, abi: electionAbi, functionName: "closesAt" });
    await reachTime(closesAt);
    log("a fresh observer catches up on the whole chain (its own process)");
    const observerDir = path.join(work, "observer");
    const aggregateFile = path.join(work, "aggregate.bin");
    const observerRun = await runChild([
      path.join(__dirname, "record-observer.ts"),
      "--rpc",
      node.rpcUrl,
      "--chain-id",
      String(node.chainId),
      "--election",
      election,
      "--data-dir",
      observerDir,
      "--aggregate-out",
      aggregateFile,
      "--page-blocks",
      String(PAGE_BLOCKS),
    ]);
    const observed = JSON.parse(observerRun.stdout.trim().split("\n").at(-1)!) as {
      catchUpSeconds: number;
      verifySeconds: number;
      cpuSeconds: number;
      peakRssMiB: number;
      verdict: string;
      ballots: { recorded: number; counted: number };
      aggregateHash: Hex;
      findings: unknown[];
    };
    if (observed.ballots.recorded !== BALLOTS || observed.ballots.counted !== BALLOTS)
      throw new Error(`the observer: ${JSON.stringify(observed)}`);
    const observer = {
      seconds: observerRun.seconds,
      catchUpSeconds: observed.catchUpSeconds,
      verifySeconds: observed.verifySeconds,
      ballotsPerSecond: BALLOTS / observed.catchUpSeconds,
      cpuMsPerBallot: (observed.cpuSeconds * 1000) / BALLOTS,
      peakRssMiB: observed.peakRssMiB,
      storeBytes: folderBytes(observerDir),
      verdict: observed.verdict,
    };

    log(`observer: ${JSON.stringify(observer)}`);
    // The trustees decrypt the observer's aggregate (2 of 3 needed; all 3 post), the commission publishes.
    log("the trustees' decryption shares and the commission's result");
    const decoded = decodeAggregate(context, new Uint8Array(fs.readFileSync(aggregateFile)));
    if (!decoded.ok) throw new Error(decoded.reason);
    const aggregate = decoded.aggregate;
    if (toHex(aggregateHash(context, aggregate)) !== observed.aggregateHash)
      throw new Error("the aggregate file is not the observer's");
    const published = await publishTally(e, aggregate);
    log(`published: ${JSON.stringify(published)}`);

    // The export and its verification, each its own process.
    const recordDir = path.join(work, `record-${BALLOTS}`);
    log(`the export (audit export's reader and writer, pages of ${PAGE_BLOCKS} blocks) to ${recordDir}`);
    const exported = await runChild([
      path.join(__dirname, "record-export.ts"),
      "--rpc",
      node.rpcUrl,
      "--chain-id",
      String(node.chainId),
      "--election",
      election,
      "--out",
      recordDir,
      "--page-blocks",
      String(PAGE_BLOCKS),
    ]);
    const exportUsage = JSON.parse(exported.stdout.trim().split("\n").at(-1)!) as {
      ballots: number;
      cpuSeconds: number;
      peakRssMiB: number;
    };
    if (exportUsage.ballots !== BALLOTS) throw new Error(`the export holds ${exportUsage.ballots} ballots`);
    const exportRun = {
      seconds: exported.seconds,
      cpuSeconds: exportUsage.cpuSeconds,
      peakRssMiB: exportUsage.peakRssMiB,
      recordBytes: folderBytes(recordDir),
    };
    log(`export: ${JSON.stringify(exportRun)}`);
    log("ballot-ledger audit verify on the export");
    const verified = await runCli(["audit", "verify", recordDir, "--json"], work);
    const report = JSON.parse(verified.stdout) as {
      verdict: string;
      holds: boolean;
      ballots: { recorded: number; counted: number };
      result: { own: Record<string, Record<string, number>> | null; matches: boolean | null };
    };
    const expected = expectedCounts(BALLOTS);
    const own = report.result.own?.["party-list"] ?? null;
    const countsMatch =
      own !== null &&
      Object.entries(expected).every(([option, n]) => own[option] === n) &&
      Object.keys(own).length === Object.keys(expected).length;
    if (
      report.verdict !== "holds" ||
      report.ballots.recorded !== BALLOTS ||
      report.ballots.counted !== BALLOTS ||
      report.result.matches !== true ||
      !countsMatch
    )
      throw new Error(
        `audit verify: ${JSON.stringify({ verdict: report.verdict, ballots: report.ballots, result: report.result, expected })}`,
      );
    const verify = {
      seconds: verified.seconds,
      ballotsPerSecond: BALLOTS / verified.seconds,
      cpuMsPerBallot: (verified.cpuSeconds * 1000) / BALLOTS,
      peakRssMiB: verified.peakRssMiB,
      verdict: report.verdict,
      counts: own,
    };

    const nodeDiskBytes = "dataDir" in node ? folderBytes(node.dataDir as string) : null;
    const result = {
      ballots: BALLOTS,
      cores: os.availableParallelism(),
      cryptoBackend: cryptoBackend(),
      node:
        NODE === "anvil" ? { kind: "anvil", args: anvilArgs } : { kind: "geth", diskBytes: nodeDiskBytes },
      loadAverage: { start: loadAtStart, end: loadAverage() },
      generation: {
        threads: THREADS,
        seconds: round(generation.seconds, 1),
        ballotsPerSecond: round(BALLOTS / generation.seconds),
        cpuMsPerBallot: round((generation.cpuSeconds * 1000) / BALLOTS, 3),
        bytesPerBallot: Math.round(generation.fileBytes / BALLOTS),
      },
      issuance: { seconds: round(issuance.seconds, 1), gasPerIssuance: issuance.gasPerIssuance },
      ingest: {
        ...ingest,
        seconds: round(ingest.seconds, 1),
        ballotsPerSecond: round(ingest.ballotsPerSecond),
        nodeCpuMsPerBallot: round(ingest.nodeCpuMsPerBallot, 3),
        nodePeakRssMiB: Math.round(ingest.nodePeakRssMiB),
      },
      observer: {
        ...observer,
        seconds: round(observer.seconds, 1),
        catchUpSeconds: round(observer.catchUpSeconds, 1),
        verifySeconds: round(observer.verifySeconds, 1),
        ballotsPerSecond: round(observer.ballotsPerSecond),
        cpuMsPerBallot: round(observer.cpuMsPerBallot, 3),
        peakRssMiB: Math.round(observer.peakRssMiB),
      },
      export: {
        seconds: round(exportRun.seconds, 1),
        cpuSeconds: round(exportRun.cpuSeconds, 1),
        peakRssMiB: Math.round(exportRun.peakRssMiB),
        recordBytes: exportRun.recordBytes,
        recordBytesPerBallot: Math.round(exportRun.recordBytes / BALLOTS),
      },
      verify: {
        ...verify,
        seconds: round(verify.seconds, 1),
        ballotsPerSecond: round(verify.ballotsPerSecond),
        cpuMsPerBallot: round(verify.cpuMsPerBallot, 3),
        peakRssMiB: Math.round(verify.peakRssMiB),
      },
      nodePeakRssMiB: Math.round(peakRssMiB(nodePid)),
      /** This process: the generator's threads, the senders, the trustees. */
      benchPeakRssMiB: Math.round(peakRssMiB(process.pid)),
      record: OUT === null ? null : recordDir,
    };
    if (json) console.log(JSON.stringify(result));
    else {
      const mb = (bytes: number) => `${(bytes / 1e6).toFixed(1)} MB`;
      const g = result.generation;
      const i = result.ingest;
      const o = result.observer;
      const v = result.verify;
      console.log(`${BALLOTS} ballots, ${NODE}, ${result.cryptoBackend} core, ${result.cores} cores`);
      console.log(
        `load average at start ${loadAtStart.join(" ")}, at end ${result.loadAverage.end.join(" ")}`,
      );
      console.log(
        `generation   ${g.seconds} s on ${g.threads} threads: ${g.ballotsPerSecond} ballots/s, ${g.cpuMsPerBallot} ms CPU each`,
      );
      console.log(
        `issuances    ${result.issuance.seconds} s, ${result.issuance.gasPerIssuance} gas each (batches of ${ISSUANCE_BATCH})`,
      );
      console.log(
        `ingest       ${i.seconds} s: ${i.ballotsPerSecond} ballots/s, ${i.gasPerBallot} gas each, ${i.transactions} transactions of ${i.batchSize}, node ${i.nodeCpuMsPerBallot} ms CPU each, node peak RSS ${i.nodePeakRssMiB} MiB`,
      );
      if (nodeDiskBytes !== null)
        console.log(
          `node disk    ${mb(nodeDiskBytes)} (${Math.round(nodeDiskBytes / BALLOTS)} bytes a ballot, archive)`,
        );
      console.log(
        `observer     catch-up ${o.catchUpSeconds} s: ${o.ballotsPerSecond} ballots/s, ${o.cpuMsPerBallot} ms CPU each, peak RSS ${o.peakRssMiB} MiB, store ${mb(o.storeBytes)}; verify ${o.verifySeconds} s (${o.verdict})`,
      );
      console.log(
        `export       ${result.export.seconds} s, ${mb(result.export.recordBytes)} (${result.export.recordBytesPerBallot} bytes a ballot), peak RSS ${result.export.peakRssMiB} MiB`,
      );
      console.log(
        `audit verify ${v.seconds} s: ${v.ballotsPerSecond} ballots/s, ${v.cpuMsPerBallot} ms CPU each, peak RSS ${v.peakRssMiB} MiB; ${v.verdict}, counts ${JSON.stringify(v.counts)}`,
      );
    }
  } finally {
    clearInterval(keepOpen);
    await node.stop();
    if (OUT === null) fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(`bench:record: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
