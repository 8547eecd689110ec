import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { isAddressEqual, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { readElectionRecord } from "../../server/chain/election-reader";
import type { SignedBallot } from "../../server/protocol/ballot-check";
import { recoverReceiptSigner } from "../../server/protocol/receipt";
import { credentialedVoter, signedBallotOf } from "../protocol/fixtures";
import { getJson, postJson, tempDir, waitFor } from "./harness";
import { startLiveElection, type LiveElection } from "./live-election";

/**
 * kill -9 of a relay child process while it accepts and submits: at the two
 * worst points of the submitter (batch stored as sent but not broadcast;
 * broadcast but not settled) through fault injection, and at a random moment
 * from outside. After each restart, every receipt the relay issued must be on
 * chain exactly once, and nothing may be submitted twice.
 */
const projectRoot = path.resolve(__dirname, "..", "..");

interface RelayProcess {
  child: ChildProcess;
  url: string;
  exited: Promise<number | null>;
  log: () => string;
}

async function spawnRelay(config: string, crashPoint?: string): Promise<RelayProcess> {
  const child = spawn(
    process.execPath,
    [
      "--require",
      require.resolve("tsx/cjs"),
      path.join(projectRoot, "server/cli/main.ts"),
      "relay",
      "serve",
      "--config",
      config,
    ],
    {
      cwd: projectRoot,
      env: { ...process.env, ...(crashPoint ? { BALLOT_LEDGER_RELAY_CRASH_POINT: crashPoint } : {}) },
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let stdout = "";
  let stderr = "";
  child.stderr!.on("data", (chunk: Buffer) => (stderr = (stderr + chunk.toString()).slice(-20_000)));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  const url = await new Promise<string>((resolve, reject) => {
    child.stdout!.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((l) => l.includes('"ready":true'));
      if (line !== undefined) resolve(JSON.parse(line).url);
    });
    void exited.then((code) =>
      reject(new Error(`relay exited with ${code} before it was ready:\n${stderr}`)),
    );
  });
  return { child, url, exited, log: () => stderr };
}

interface Receipt {
  trackingCode: string;
  receipt: { election: Address; trackingCode: string; ballotHash: Hex; sequence: string; acceptedAt: number };
  signature: Hex;
  relay: Address;
}

/** Posts ballots, `parallel` at a time; collects the receipts of those answered 202. */
async function submitAll(
  url: string,
  ballots: SignedBallot[],
  parallel: number,
  onReceipt?: (n: number) => void,
) {
  const receipts: Receipt[] = [];
  let next = 0;
  const worker = async () => {
    while (next < ballots.length) {
      const b = ballots[next++];
      try {
        const answer = await postJson(`${url}/v1/ballots`, {
          ballot: toHex(b.ballot),
          sequence: b.sequence.toString(),
          signature: b.signature,
        });
        if (answer.status === 202) {
          receipts.push(answer.body as unknown as Receipt);
          onReceipt?.(receipts.length);
        } else throw new Error(`refused: ${JSON.stringify(answer.body)}`);
      } catch (error) {
        if (String(error).includes("refused")) throw error;
        // The relay died during this request: no receipt, nothing promised.
      }
    }
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  return receipts;
}

describe("services: relay killed with kill -9 while accepting and submitting", function () {
  this.timeout(300_000);
  let live: LiveElection;
  let dir: string;
  let config: string;
  let relay: RelayProcess | null = null;
  const ballots: SignedBallot[] = [];

  before(async () => {
    live = await startLiveElection({ relays: 1 });
    dir = tempDir("crash");
    fs.writeFileSync(path.join(dir, "relay.key"), `${live.relayAccountKeys[0]}\n`, { mode: 0o600 });
    config = path.join(dir, "relay.json");
    fs.writeFileSync(
      config,
      JSON.stringify({
        rpcUrl: live.node.rpcUrl,
        election: live.election,
        accountKeyFile: "relay.key",
        queueFile: "relay.sqlite",
        maxBatch: 8,
        maxWaitMs: 100,
        pollMs: 250,
        verifierThreads: 1,
        rateLimit: { windowMs: 60_000, limit: 100_000 },
        logLevel: "info",
      }),
    );
    const key = live.registrarKeys.get(0)!;
    for (let i = 0; i < 72; i++) {
      const voter = await credentialedVoter(live.context, key, 0);
      ballots.push(
        await signedBallotOf(live.context, voter, { "party-list": [`party-list-option-${(i % 5) + 1}`] }),
      );
    }
  });
  after(async () => {
    if (relay !== null && relay.child.exitCode === null) {
      relay.child.kill("SIGKILL");
      await relay.exited;
    }
    await live?.stop();
  });

  it("loses no accepted ballot and records none twice", async () => {
    const receipts: Receipt[] = [];

    // 1. The relay kills itself right after storing its first batch as sent, before broadcasting it.
    relay = await spawnRelay(config, "after-mark-sent");
    receipts.push(...(await submitAll(relay.url, ballots.slice(0, 24), 4)));
    expect(await relay.exited).to.equal(null); // killed by a signal
    expect(receipts.length).to.be.greaterThan(0);

    // 2. Restarted, it reconciles (broadcasts the stored batch), then kills itself after broadcasting its next batch.
    relay = await spawnRelay(config, "after-broadcast");
    receipts.push(...(await submitAll(relay.url, ballots.slice(24, 48), 4)));
    expect(await relay.exited).to.equal(null);
    expect(relay.log()).to.include("reconciling");

    // 3. Restarted without fault injection; killed from outside while it accepts and submits.
    relay = await spawnRelay(config);
    const victim = relay;
    receipts.push(
      ...(await submitAll(relay.url, ballots.slice(48), 4, (n) => {
        if (n === 10) victim.child.kill("SIGKILL");
      })),
    );
    await relay.exited;

    // 4. Restarted for good: every receipt ends on chain.
    relay = await spawnRelay(config);
    const running = relay;
    for (const r of receipts)
      await waitFor(
        `${r.trackingCode} on chain`,
        async () => {
          const status = await getJson(`${running.url}/v1/ballots/${r.trackingCode}`);
          return status.body.status === "on-chain" ? status.body : null;
        },
        60_000,
      );

    const record = await readElectionRecord(live.client, live.election);
    const onChain = new Map<string, number>();
    for (const b of record.ballots) onChain.set(b.ballotHash, (onChain.get(b.ballotHash) ?? 0) + 1);
    const relayAddress = privateKeyToAccount(live.relayAccountKeys[0]).address;
    for (const r of receipts) {
      expect(onChain.get(r.receipt.ballotHash), `receipt ${r.trackingCode}`).to.equal(1);
      const signer = await recoverReceiptSigner(
        live.context,
        { ...r.receipt, sequence: BigInt(r.receipt.sequence), acceptedAt: BigInt(r.receipt.acceptedAt) },
        r.signature,
      );
      expect(signer !== null && isAddressEqual(signer, relayAddress)).to.equal(true);
    }
    expect(
      [...onChain.values()].every((n) => n === 1),
      "no ballot twice",
    ).to.equal(true);
    expect(record.rejections, "nothing submitted twice").to.deep.equal([]);
    expect(new Set(receipts.map((r) => r.receipt.ballotHash)).size).to.equal(receipts.length);
    console.log(
      `      ${receipts.length} receipts issued across 3 kills; ${record.ballots.length} ballots on chain, each once`,
    );
  });
});
