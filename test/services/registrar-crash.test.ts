import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import type { Hex } from "viem";
import { electionAbi } from "../../server/chain/generated/abis";
import { journalKey } from "../../server/protocol/channel";
import { hashRoll, rollToCsv } from "../../server/registrar/roll";
import { newVotingKey, startCredentialRequest } from "../../server/voter/booth";
import { getJson, postJson, tempDir, testVoters, type HttpAnswer } from "./harness";
import { startLiveElection, type LiveElection } from "./live-election";

/**
 * kill -9 of a registrar child process at the two worst points of a batch
 * of issuances (journaled pending but not sent; sent but not settled),
 * through fault injection. The voters retry with the same requests after
 * each restart on the same journal: every one gets the same credential,
 * the chain holds each voter's issuance exactly once, and the local journal
 * ends with no pending entry.
 */
const projectRoot = path.resolve(__dirname, "..", "..");

/** The registrar as `registrar serve` runs it (readRegistrarConfig), plus the crash point. */
const CHILD = `
const fs = require("node:fs");
const pino = require("pino");
const { readRegistrarConfig } = require("./server/registrar/config");
const { startRegistrar } = require("./server/registrar/app");
const [file, endpoint, crashPoint] = process.argv.slice(1);
const loaded = readRegistrarConfig(file);
startRegistrar(
  {
    ...loaded.config,
    endpoint: JSON.parse(endpoint),
    accountKey: fs.readFileSync(loaded.accountKeyFile, "utf8").trim(),
    crashPoint: crashPoint || undefined,
    logger: pino({ level: "warn" }, pino.destination(2)),
    defaultMetrics: false,
  },
  loaded.listen,
).then((running) => console.log(JSON.stringify({ ready: true, url: running.url })));
`;

interface RegistrarProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

async function spawnRegistrar(
  live: LiveElection,
  config: string,
  crashPoint = "",
): Promise<RegistrarProcess> {
  const child = spawn(
    process.execPath,
    ["--require", require.resolve("tsx/cjs"), "-e", CHILD, config, JSON.stringify(live.endpoint), crashPoint],
    { cwd: projectRoot, stdio: ["ignore", "pipe", "pipe"] },
  );
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once("exit", (code, signal) => resolve({ code, signal })),
  );
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((l) => l.includes('"ready":true'));
      if (line !== undefined) resolve(JSON.parse(line).url);
    });
    void exited.then(({ code, signal }) =>
      reject(new Error(`registrar exited (${code ?? signal}) before it was ready:\n${stderr}`)),
    );
  });
  return { child, url, exited };
}

describe("services: registrar killed with kill -9 in the middle of a batch of issuances", function () {
  this.timeout(300_000);
  let live: LiveElection;
  let dir: string;
  let config: string;
  let running: RegistrarProcess | null = null;
  const voters = testVoters(3, 0, "crash");

  before(async () => {
    live = await startLiveElection({ relays: 1 });
    dir = tempDir("registrar-crash");
    fs.writeFileSync(path.join(dir, "registrar.key"), `${live.registrarAccountKey}\n`, { mode: 0o600 });
    const key = live.registrarKeys.get(0)!;
    fs.writeFileSync(
      path.join(dir, "style-0.pem"),
      key.privateKey.export({ type: "pkcs8", format: "pem" }) as string,
      { mode: 0o600 },
    );
    fs.writeFileSync(path.join(dir, "roll.csv"), rollToCsv(await hashRoll(voters, 10)));
    config = path.join(dir, "registrar.json");
    fs.writeFileSync(
      config,
      JSON.stringify({
        election: live.election,
        accountKeyFile: "registrar.key",
        rollFile: "roll.csv",
        keys: { "0": "style-0.pem" },
        journalFile: "registrar.sqlite",
        port: 0,
        rateLimit: { windowMs: 60_000, limit: 100_000 },
        // The three sign-ins make one batch: it goes when full, never by the clock.
        issuanceBatch: { maxSize: 3, maxWaitMs: 60_000 },
      }),
    );
  });
  after(async () => {
    running?.child.kill("SIGKILL");
    await live?.stop();
  });

  const modulus = () => live.registrarKeys.get(0)!.modulus;
  const issuedEvents = async () =>
    live.client.getContractEvents({
      address: live.election,
      abi: electionAbi,
      eventName: "CredentialIssued",
      fromBlock: 0n,
      strict: true,
    });
  const keyOf = (voter: (typeof voters)[number]) => journalKey(live.context, voter.voterId, voter.code);

  it("loses nothing and issues nothing twice when killed after journaling a batch and after sending it", async () => {
    const requests = await Promise.all(
      voters.map(async () => startCredentialRequest(live.context, modulus(), 0, newVotingKey())),
    );
    const signInAll = (url: string) =>
      Promise.all(
        voters.map((voter, i) =>
          postJson(`${url}/v1/credentials`, {
            voterId: voter.voterId,
            code: voter.code,
            blindedMessage: requests[i].blindedMessage,
          }).catch((error: unknown) => error),
        ),
      );

    // 1. Killed once the batch is journaled pending, before its transaction is sent: nothing on chain.
    running = await spawnRegistrar(live, config, "after-mark-pending");
    const first = await signInAll(running.url);
    expect((await running.exited).signal).to.equal("SIGKILL");
    for (const answer of first) expect(answer).to.be.instanceOf(Error); // no answer: the process died
    expect(await issuedEvents()).to.deep.equal([]);

    // 2. Restarted on the same journal, killed right after sending the batch (before its receipt).
    running = await spawnRegistrar(live, config, "after-send");
    await signInAll(running.url);
    expect((await running.exited).signal).to.equal("SIGKILL");
    const onChain = await issuedEvents();
    expect(onChain.map((e) => e.args.voterIdHash).sort()).to.deep.equal(voters.map(keyOf).sort());
    const sentIn = new Set(onChain.map((e) => e.transactionHash));
    expect(sentIn.size).to.equal(1);

    // 3. Restarted again: the retries are answered from the chain's events, nothing is sent again.
    running = await spawnRegistrar(live, config);
    const answers = (await signInAll(running.url)) as HttpAnswer[];
    for (const answer of answers) {
      expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
      expect(sentIn.has(answer.body.transactionHash as Hex)).to.equal(true);
    }
    expect((await issuedEvents()).length).to.equal(3);
    expect(
      await live.client.readContract({
        address: live.election,
        abi: electionAbi,
        functionName: "issuedTotal",
      }),
    ).to.equal(3n);
    const health = await getJson(`${running.url}/health`);
    expect(health.body.journal).to.deep.equal({ pending: 0, recorded: 3 });
    // Each request hash on chain is the voter's own, so each got the credential of its own request.
    for (const [i, voter] of voters.entries())
      expect(onChain.find((e) => e.args.voterIdHash === keyOf(voter))!.args.requestHash).to.equal(
        answers[i].body.requestHash,
      );
    running.child.kill("SIGTERM");
    await running.exited;
    running = null;
  });
});
