/**
 * The main job (`npm start`): a whole election, every actor through its real
 * component, on the embedded chain (or an external one with --config).
 *
 *  1. chain node, factory, election from scripts/sample-manifest.json
 *     (two districts, party list + district seat, three days, re-voting);
 *  2. 5 trustees (threshold 3): encrypted key files, key ceremony;
 *  3. registrar, two relays, two observer nodes (HTTP services on loopback);
 *  4. simulated voters: sign in, credential, vote through a relay; some
 *     re-vote, some send invalid ballots that the relays must refuse; the
 *     chain clock moves through the three days;
 *  5. close, decrypt with two trustees absent, publish;
 *  6. both observers verify and attest; the record is exported and verified offline.
 *
 *   npm start                              1,000 voters, progress on stderr, a report on stdout
 *   npm start -- --voters 5000 --seed 7    another electorate / simulation seed
 *   npm start -- --json                    the report as one JSON object on stdout, nothing else
 *   npm start -- --config FILE             an external chain (docs/besu/election.config.example.json)
 *   npm start -- --out DIR                 where the record, reports and logs go (default out/election)
 */
import fs from "node:fs";
import path from "node:path";
import { SingleBar } from "cli-progress";
import pino from "pino";
import { toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { connect, publicClientFor, walletClientFor, type ChainEndpoint } from "../server/chain/clients";
import {
  createElection,
  deployFactory,
  PHASE_NAMES,
  roleId,
  type ChainPublicClient,
} from "../server/chain/deploy";
import { readElectionRecord, sendElectionTx } from "../server/chain/election-reader";
import { startLocalNode, type LocalNode } from "../server/chain/local-node";
import { electionAbi } from "../server/chain/generated/abis";
import { readRecordFolder, writeRecordFolder } from "../server/audit/record-files";
import { verifyElectionRecord } from "../server/audit/verify-record";
import { electionParamsOf } from "../server/commission/election-params";
import { Observer } from "../server/observer/observer";
import type { BallotChoices } from "../server/protocol/ballot";
import { generateRegistrarKey, type RegistrarKeyPair } from "../server/protocol/credential-issuer";
import { manifestBytes, parseManifest, type Manifest } from "../server/protocol/manifest";
import { signBallot } from "../server/protocol/eip712";
import { hexToBytes } from "../server/protocol/primitives/bytes";
import { initCrypto } from "../server/protocol/primitives/sodium";
import { startRegistrar, type RunningRegistrar } from "../server/registrar/app";
import { publishRegistrarKeys } from "../server/registrar/keys";
import { hashRoll, RollIdentityProvider } from "../server/registrar/roll";
import { startRelay, type RunningRelay } from "../server/relay/app";
import { loadElectionRules } from "../server/service/election-info";
import { runCeremony } from "../server/trustee/ceremony-step";
import { runDecryption } from "../server/trustee/decrypt";
import { initTrustee } from "../server/trustee/init";
import { KDF_INTERACTIVE } from "../server/trustee/keystore";
import { publishResult } from "../server/trustee/publish";
import { openTrusteeSession, type TrusteeSession } from "../server/trustee/session";
import { prepareBallot } from "../server/voter/booth";
import { ServiceError, submitBallot } from "../server/voter/services-client";
import { castVote } from "../server/voter/voter";

// ------------------------------------------------------------------ options

function parseArgs(argv: string[]) {
  const options = { voters: 1000, seed: 1, json: false, config: null as string | null, out: "out/election" };
  for (let i = 0; i < argv.length; i++) {
    const flag = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) fail(`${flag} needs a value`);
      return next;
    };
    if (flag === "--json") options.json = true;
    else if (flag === "--voters") options.voters = Number(value());
    else if (flag === "--seed") options.seed = Number(value());
    else if (flag === "--config") options.config = value();
    else if (flag === "--out") options.out = value();
    else fail(`unknown option ${flag} (see the header of scripts/election.ts)`);
  }
  if (!Number.isInteger(options.voters) || options.voters < 10 || options.voters > 1_000_000)
    fail("--voters must be an integer between 10 and 1,000,000");
  if (!Number.isInteger(options.seed)) fail("--seed must be an integer");
  return options;
}

function fail(message: string): never {
  console.error(`election: ${message}`);
  process.exit(2);
}

const options = parseArgs(process.argv.slice(2));
const progress = (line: string) => console.error(`• ${line}`);
const outDir = path.resolve(options.out);

/** A small deterministic generator (mulberry32), so a seed reproduces the same simulated choices. */
function random(seed: number) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// ------------------------------------------------------------------ chain

interface Accounts {
  commission: Hex;
  registrar: Hex;
  relays: Hex[];
  trustees: Hex[];
  observers: Hex[];
}

interface Chain {
  endpoint: ChainEndpoint;
  accounts: Accounts;
  /** Embedded chain: the clock can be moved; an external chain runs in real time. */
  moveClockTo: ((timestamp: number) => Promise<void>) | null;
  confirmations: number;
  node: LocalNode | null;
}

const readKeyFile = (file: string): Hex => {
  const text = fs.readFileSync(file, "utf8").trim();
  if (!/^0x[0-9a-fA-F]{64}$/.test(text)) fail(`${file}: not a private key (0x and 64 hex digits)`);
  return text as Hex;
};

async function openChain(): Promise<Chain> {
  if (options.config === null) {
    progress("starting the embedded chain (Hardhat node)");
    const node = await startLocalNode({ kind: "hardhat" });
    const keys = node.privateKeys;
    const endpoint = { rpcUrl: node.rpcUrl, chainId: node.chainId };
    const client = publicClientFor(endpoint);
    return {
      endpoint,
      node,
      confirmations: 0,
      accounts: {
        commission: keys[0],
        registrar: keys[1],
        relays: [keys[2], keys[3]],
        observers: [keys[4], keys[5]],
        trustees: keys.slice(6, 11),
      },
      // Development nodes only: evm_increaseTime / evm_mine (not hardhat_*), as in the tests.
      moveClockTo: async (timestamp) => {
        const now = Number((await client.getBlock({ blockTag: "latest" })).timestamp);
        if (timestamp > now)
          await client.request({ method: "evm_increaseTime" as never, params: [timestamp - now] as never });
        await client.request({ method: "evm_mine" as never, params: [] as never });
      },
    };
  }
  const file = path.resolve(options.config);
  const dir = path.dirname(file);
  const config = JSON.parse(fs.readFileSync(file, "utf8"));
  const key = (p: unknown) => readKeyFile(path.resolve(dir, String(p)));
  const endpoint = await connect(String(config.rpcUrl));
  if (config.chainId !== undefined && Number(config.chainId) !== endpoint.chainId)
    fail(`${file}: chainId ${config.chainId}, but ${config.rpcUrl} serves chain ${endpoint.chainId}`);
  const accounts: Accounts = {
    commission: key(config.accounts.commission),
    registrar: key(config.accounts.registrar),
    relays: (config.accounts.relays as unknown[]).map(key),
    trustees: (config.accounts.trustees as unknown[]).map(key),
    observers: (config.accounts.observers as unknown[]).map(key),
  };
  if (accounts.relays.length !== 2 || accounts.observers.length !== 2 || accounts.trustees.length !== 5)
    fail(`${file}: needs 2 relays, 2 observers and 5 trustees`);
  const all = [
    accounts.commission,
    accounts.registrar,
    ...accounts.relays,
    ...accounts.trustees,
    ...accounts.observers,
  ];
  if (new Set(all.map((k) => k.toLowerCase())).size !== all.length)
    fail(`${file}: every account must be distinct`);
  progress(`external chain ${endpoint.chainId} at ${endpoint.rpcUrl}`);
  return {
    endpoint,
    node: null,
    confirmations: Number(config.confirmations ?? 0),
    accounts,
    moveClockTo: null,
  };
}

/** Waits (external chain) or moves the clock (embedded chain) until the chain's time reaches `timestamp`. */
async function reachTime(chain: Chain, client: ChainPublicClient, timestamp: number): Promise<void> {
  if (chain.moveClockTo !== null) return chain.moveClockTo(timestamp);
  for (;;) {
    const now = Number((await client.getBlock({ blockTag: "latest" })).timestamp);
    if (now >= timestamp) return;
    await new Promise((resolve) => setTimeout(resolve, Math.min(5000, (timestamp - now) * 1000)));
  }
}

function sampleManifest(opensAt: number, closesAt: number): Manifest {
  const raw = JSON.parse(fs.readFileSync(path.join(__dirname, "sample-manifest.json"), "utf8"));
  raw.votingWindow = { opensAt, closesAt };
  const parsed = parseManifest(raw);
  if (!parsed.ok) fail(`scripts/sample-manifest.json: ${parsed.reason}`);
  return parsed.manifest;
}

// ------------------------------------------------------------------ simulation

type Counts = Record<string, Record<string, number>>;

function emptyCounts(manifest: Manifest): Counts {
  return Object.fromEntries(
    manifest.contests.map((c) => [c.id, Object.fromEntries(c.options.map((o) => [o.id, 0]))]),
  );
}

/** Choices for one voter of a style: one option per contest, skewed so the result is not uniform. */
function drawChoices(manifest: Manifest, style: number, next: () => number): BallotChoices {
  const contests = manifest.ballotStyles[style].contests.map((id) =>
    manifest.contests.find((c) => c.id === id)!,
  );
  return Object.fromEntries(
    contests.map((contest) => {
      const weights = contest.options.map((_, i) => 1 / (i + 1.5));
      let pick = next() * weights.reduce((a, b) => a + b);
      let index = 0;
      while (pick > weights[index] && index < weights.length - 1) pick -= weights[index++];
      return [contest.id, [contest.options[index].id]];
    }),
  );
}

async function inParallel<T>(
  items: readonly T[],
  width: number,
  work: (item: T, i: number) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        await work(items[i], i);
      }
    }),
  );
}

function progressBar(title: string, total: number) {
  const bar = new SingleBar({
    format: `  ${title} [{bar}] {value}/{total} {eta_formatted}`,
    stream: process.stderr,
    hideCursor: false,
  });
  if (process.stderr.isTTY) bar.start(total, 0);
  return {
    tick: () => process.stderr.isTTY && bar.increment(),
    stop: () => process.stderr.isTTY && bar.stop(),
  };
}

// ------------------------------------------------------------------ main

async function main() {
  const started = Date.now();
  const timings: Record<string, number> = {};
  let mark = Date.now();
  const lap = (name: string) => {
    timings[name] = (Date.now() - mark) / 1000;
    mark = Date.now();
  };
  await initCrypto();
  fs.rmSync(outDir, { recursive: true, force: true });
  for (const sub of ["trustees", "wallets", "services", "observers", "logs"])
    fs.mkdirSync(path.join(outDir, sub), { recursive: true });
  const logFile = path.join(outDir, "logs", "services.log");
  const logger = pino({ level: "info" }, pino.destination({ dest: logFile, sync: false }));
  const next = random(options.seed);

  const chain = await openChain();
  const services: { close(): Promise<void> }[] = [];
  const observers: Observer[] = [];
  try {
    const { endpoint, accounts } = chain;
    const client = publicClientFor(endpoint);
    const commission = walletClientFor(endpoint, accounts.commission);

    // 1. factory and election
    progress("deploying the election factory");
    const factory = await deployFactory(commission, client);
    const now = Number((await client.getBlock({ blockTag: "latest" })).timestamp);
    const embedded = chain.moveClockTo !== null;
    const opensAt = now + (embedded ? 3600 : 120);
    const manifest = sampleManifest(opensAt, opensAt + (embedded ? 3 * 86_400 : 600));
    const trusteeAddresses = accounts.trustees.map((k) => privateKeyToAccount(k).address);
    const params = electionParamsOf(manifest, trusteeAddresses, commission.account.address, now);
    if (!params.ok) fail(params.reason);
    progress(
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
    lap("createElection");

    // 2. trustees: key files and the ceremony (each step resumable, run until the election is Ready)
    progress(`5 trustees (threshold ${manifest.trustees.threshold}): key files and the key ceremony`);
    const sessions: TrusteeSession[] = [];
    for (const [i, accountKey] of accounts.trustees.entries()) {
      const { keystore } = await initTrustee({
        rpcUrl: endpoint.rpcUrl,
        election,
        accountKey,
        keyFile: path.join(outDir, "trustees", `trustee-${i + 1}.key.json`),
        passphrase: `simulation passphrase of trustee ${i + 1}`,
        kdf: KDF_INTERACTIVE,
      });
      sessions.push(await openTrusteeSession(endpoint.rpcUrl, keystore));
    }
    for (let pass = 0; pass < 4; pass++) {
      for (const session of sessions) await runCeremony(session);
      const phase = await client.readContract({ address: election, abi: electionAbi, functionName: "phase" });
      if (PHASE_NAMES[phase] !== "KeyCeremony") break;
    }
    const jointKey = await client.readContract({
      address: election,
      abi: electionAbi,
      functionName: "jointKey",
    });
    if (/^0x0+$/.test(jointKey)) throw new Error("the key ceremony did not complete");
    progress(`joint key ${jointKey}`);
    lap("keyCeremony");

    // 3. services
    progress(
      `registrar keys (RSA-2048, one per ballot style) and the voter roll of ${options.voters} voters`,
    );
    const registrarKeys = new Map<number, RegistrarKeyPair>(
      manifest.ballotStyles.map((_, s) => [s, generateRegistrarKey(2048)]),
    );
    await publishRegistrarKeys(
      walletClientFor(endpoint, accounts.registrar),
      client,
      election,
      registrarKeys,
    );
    const voters = Array.from({ length: options.voters }, (_, i) => ({
      voterId: `voter-${String(i + 1).padStart(7, "0")}`,
      style: i % manifest.ballotStyles.length,
      code: `one-time-${i + 1}-${Math.floor(next() * 1e9).toString(36)}`,
    }));
    // The simulation's roll uses a lighter scrypt cost (N = 2^12) than the default, to keep 100k voters practical.
    const roll = await hashRoll(voters, 12);
    const registrar: RunningRegistrar = await startRegistrar({
      endpoint,
      election,
      accountKey: accounts.registrar,
      identity: new RollIdentityProvider(roll),
      keys: registrarKeys,
      salt: crypto.getRandomValues(new Uint8Array(32)),
      journalFile: path.join(outDir, "services", "registrar.sqlite"),
      rateLimit: { windowMs: 60_000, limit: 10_000_000 },
      logger: logger.child({ service: "registrar" }),
    });
    services.push(registrar);
    const relays: RunningRelay[] = [];
    for (const [i, accountKey] of accounts.relays.entries()) {
      const relay = await startRelay({
        endpoint,
        election,
        accountKey,
        queueFile: path.join(outDir, "services", `relay-${i + 1}.sqlite`),
        verifierThreads: 1,
        pollMs: 200,
        rateLimit: { windowMs: 60_000, limit: 10_000_000 },
        logger: logger.child({ service: `relay-${i + 1}` }),
      });
      relays.push(relay);
      services.push(relay);
    }
    for (const [i, observerKey] of accounts.observers.entries())
      observers.push(
        await Observer.open({
          endpoint,
          election,
          dataDir: path.join(outDir, "observers", `observer-${i + 1}`),
          observerKey,
          confirmations: chain.confirmations,
          threads: 1,
          logger: logger.child({ service: `observer-${i + 1}` }),
        }),
      );
    progress(`registrar ${registrar.url}, relays ${relays.map((r) => r.url).join(", ")}, 2 observers`);
    lap("services");

    // 4. voting: three days, a third of the voters each day; re-votes and invalid ballots on the way
    await reachTime(chain, client, opensAt);
    const rules = await loadElectionRules(client, election);
    const expected = emptyCounts(manifest);
    const lastChoices = new Map<number, BallotChoices>();
    const rejectedByRelay: Record<string, number> = {};
    const refuse = (code: string) => (rejectedByRelay[code] = (rejectedByRelay[code] ?? 0) + 1);
    let cast = 0;
    let revotes = 0;
    const relayUrls = relays.map((r) => r.url);
    const walletOf = (i: number) => path.join(outDir, "wallets", `${voters[i].voterId}.json`);
    const vote = async (i: number, choices: BallotChoices) => {
      const order = i % 2 === 0 ? relayUrls : [...relayUrls].reverse();
      await castVote({
        client,
        election,
        registrarUrl: registrar.url,
        relayUrls: order,
        voterId: voters[i].voterId,
        code: voters[i].code,
        style: voters[i].style,
        choices,
        walletFile: walletOf(i),
        rules,
      });
      lastChoices.set(i, choices);
      cast++;
    };
    // Relays follow the chain's clock (polling every 200 ms); give them a moment after it moves.
    const relaysSeeChainTime = () => new Promise((resolve) => setTimeout(resolve, 800));
    const days = [0, 1, 2].map((d) => voters.map((_, i) => i).filter((i) => i % 3 === d));
    const turnoutShare = 0.92;
    for (const [day, todays] of days.entries()) {
      await reachTime(chain, client, opensAt + day * 86_400 + 60);
      await relaysSeeChainTime();
      const voting = todays.filter(() => next() < turnoutShare);
      const bar = progressBar(`day ${day + 1}: voting`, voting.length);
      await inParallel(voting, 8, async (i) => {
        await vote(i, drawChoices(manifest, voters[i].style, next));
        bar.tick();
      });
      bar.stop();
      // Some of the earlier voters change their mind (the last ballot counts).
      const changing = [...lastChoices.keys()].filter(() => next() < 0.05);
      await inParallel(changing, 8, async (i) => {
        await vote(i, drawChoices(manifest, voters[i].style, next));
        revotes++;
      });
      // Invalid ballots the relays must refuse: a tampered proof, a replayed sequence, a voter id already issued.
      const tamperers = voting.filter((_, k) => k % 100 === 0);
      for (const i of tamperers) await submitInvalid(i);
      progress(
        `day ${day + 1}: ${voting.length} voted, ${changing.length} re-voted, ${tamperers.length * 3} invalid attempts refused`,
      );
    }
    async function submitInvalid(i: number) {
      const wallet = JSON.parse(fs.readFileSync(walletOf(i), "utf8"));
      const credential = wallet.credential;
      const choices = drawChoices(manifest, voters[i].style, next);
      const prepared = await prepareBallot(rules.context, wallet.votingKey, credential, choices, 1_000_000n);
      const tampered = hexToBytes(prepared.request.ballot);
      tampered[tampered.length - 1] ^= 1;
      const signature = await signBallot(
        privateKeyToAccount(wallet.votingKey),
        rules.context,
        tampered,
        1_000_000n,
      );
      const stale = await prepareBallot(rules.context, wallet.votingKey, credential, choices, 1n);
      const attempts = [
        // 1. a proof byte flipped, signed by the voter's own key: the proof fails
        { ...prepared, request: { ...prepared.request, ballot: toHex(tampered), signature } },
        // 2. a valid ballot with a sequence number the voter already used
        stale,
      ];
      for (const attempt of attempts) {
        try {
          await submitBallot(relayUrls, attempt);
          throw new Error(`a relay accepted an invalid ballot of ${voters[i].voterId}`);
        } catch (error) {
          if (!(error instanceof ServiceError)) throw error;
          refuse(error.code);
        }
      }
      // 3. a second credential for the same voter
      try {
        await castVote({
          client,
          election,
          registrarUrl: registrar.url,
          relayUrls,
          voterId: voters[i].voterId,
          code: voters[i].code,
          choices,
          walletFile: path.join(outDir, "wallets", `${voters[i].voterId}.second.json`),
          rules,
        });
        throw new Error(`the registrar issued a second credential to ${voters[i].voterId}`);
      } catch (error) {
        const code = (error as { code?: string }).code ?? "unknown";
        if (
          code.startsWith("a relay") ||
          (error instanceof Error && error.message.includes("second credential"))
        )
          throw error;
        refuse(code);
      }
    }
    for (const choices of lastChoices.values())
      for (const [contest, picked] of Object.entries(choices))
        for (const option of picked) expected[contest][option]++;
    // Wait until both relays have every accepted ballot on chain.
    progress("waiting for the relays to put every accepted ballot on chain");
    for (;;) {
      const count = await client.readContract({
        address: election,
        abi: electionAbi,
        functionName: "ballotCount",
      });
      if (Number(count) >= cast) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    lap("voting");

    // 5. close, decrypt with trustees 2 and 5 absent, publish
    await reachTime(chain, client, manifest.votingWindow.closesAt + 1);
    for (const relay of relays) await relay.close();
    services.splice(services.indexOf(relays[0]), 2);
    const present = [1, 3, 4];
    progress(`voting closed; trustees ${present.join(", ")} decrypt (2 and 5 absent)`);
    for (const index of present) await runDecryption(sessions[index - 1], { threads: 2 });
    const published = await publishResult(commission, client, election, { threads: 2 });
    lap("tally");

    // 6. observers, export, offline verification
    progress("observers verify and attest");
    const verdicts = [];
    for (const [i, observer] of observers.entries()) {
      const verification = await observer.round();
      const { report } = verification;
      verdicts.push({
        observer: privateKeyToAccount(chain.accounts.observers[i]).address,
        verdict: report.holds && report.result.matches === true ? "ok" : "fails",
        tallyHash: report.tally?.hash ?? null,
        findings: report.findings.length,
      });
    }
    lap("observers");
    progress("exporting the election record and verifying it offline");
    const recordDir = path.join(outDir, "record");
    writeRecordFolder(recordDir, await readElectionRecord(client, election));
    const offline = await verifyElectionRecord(await readRecordFolder(recordDir), { threads: 2 });
    const reportFile = path.join(outDir, "audit-report.json");
    fs.writeFileSync(reportFile, `${JSON.stringify(offline.report, null, 2)}\n`);
    lap("audit");

    const record = offline.report;
    const gasPerBallot = await gasPerRecordedBallot(client, election);
    const summary = {
      chainId: endpoint.chainId,
      election,
      factory,
      result: published.result,
      expected,
      resultMatchesExpected: JSON.stringify(published.result) === JSON.stringify(expected),
      observers: verdicts,
      audit: { verdict: record.holds ? "ok" : "fails", tallyHash: record.tally?.hash ?? null },
      ballots: {
        cast,
        recorded: record.ballots.recorded,
        counted: record.ballots.counted,
        superseded: record.ballots.superseded,
        revotes,
        rejected: {
          byRelay: rejectedByRelay,
          byContract: record.ballots.rejectedByContract,
          excludedByObservers: record.ballots.excluded,
        },
      },
      voters: options.voters,
      trustees: { n: manifest.trustees.count, t: manifest.trustees.threshold, present },
      gasPerBallot,
      timings: { ...timings, totalSeconds: (Date.now() - started) / 1000 },
      recordDir,
      reportFile,
      logFile,
    };
    printSummary(summary, manifest);
    const allGood =
      summary.resultMatchesExpected &&
      verdicts.every((v) => v.verdict === "ok") &&
      summary.audit.verdict === "ok";
    process.exitCode = allGood ? 0 : 4;
  } finally {
    for (const observer of observers) await observer.close();
    for (const service of services) await service.close().catch(() => undefined);
    await chain.node?.stop();
    logger.flush();
  }
}

/** Gas of the castBallots transactions divided by the ballots they recorded. */
async function gasPerRecordedBallot(client: ChainPublicClient, election: Address) {
  const record = await readElectionRecord(client, election);
  const hashes = [...new Set(record.ballots.map((b) => b.transactionHash))];
  let gas = 0n;
  for (const hash of hashes) gas += (await client.getTransactionReceipt({ hash })).gasUsed;
  return {
    transactions: hashes.length,
    average: hashes.length === 0 ? 0 : Math.round(Number(gas) / record.ballots.length),
  };
}

function printSummary(
  summary: Record<string, unknown> & { result: Record<string, Record<string, number>> },
  manifest: Manifest,
) {
  if (options.json) {
    console.log(JSON.stringify(summary));
    return;
  }
  const s = summary as never as {
    election: string;
    expected: Record<string, Record<string, number>>;
    observers: { verdict: string; tallyHash: string | null }[];
    audit: { verdict: string };
    ballots: {
      cast: number;
      recorded: number;
      counted: number;
      superseded: number;
      revotes: number;
      rejected: unknown;
    };
    gasPerBallot: { average: number; transactions: number };
    timings: Record<string, number>;
    recordDir: string;
    reportFile: string;
    logFile: string;
    resultMatchesExpected: boolean;
  };
  console.log(`election ${s.election}: result published and verified\n`);
  console.log("| contest | option | published | expected |");
  console.log("|---|---|---:|---:|");
  for (const contest of manifest.contests)
    for (const option of contest.options)
      console.log(
        `| ${contest.id} | ${option.id} | ${summary.result[contest.id]?.[option.id]} | ${s.expected[contest.id][option.id]} |`,
      );
  console.log(`\npublished = expected: ${s.resultMatchesExpected ? "yes" : "NO"}`);
  s.observers.forEach((o, i) => console.log(`observer ${i + 1}: ${o.verdict}, tally hash ${o.tallyHash}`));
  console.log(`offline audit of the exported record: ${s.audit.verdict}`);
  console.log(
    `ballots: ${s.ballots.cast} cast, ${s.ballots.recorded} recorded, ${s.ballots.counted} counted, ${s.ballots.superseded} superseded (${s.ballots.revotes} re-votes); refused: ${JSON.stringify(s.ballots.rejected)}`,
  );
  console.log(
    `gas per ballot: ${s.gasPerBallot.average} (${s.gasPerBallot.transactions} castBallots transactions)`,
  );
  console.log(`timings (s): ${JSON.stringify(s.timings)}`);
  console.log(`record: ${s.recordDir}\nreport: ${s.reportFile}\nlogs:   ${s.logFile}`);
}

main().catch((error: unknown) => {
  console.error(`election: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
  process.exit(1);
});
