import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { expect } from "chai";
import { toHex } from "viem";
import { walletClientFor } from "../../server/chain/clients";
import { ElectionCallError, loadElection, signedBallotOfRecord } from "../../server/chain/election-reader";
import { generateRegistrarKey } from "../../server/protocol/credential-issuer";
import { publishRegistrarKeys } from "../../server/registrar/keys";
import { checkSignedBallot } from "../../server/protocol/ballot-check";
import { applyCountingRules } from "../../server/protocol/counting";
import { startCredentialRequest, newVotingKey } from "../../server/voter/booth";
import { castVote, trackBallot, VoterError } from "../../server/voter/voter";
import { readWallet } from "../../server/voter/wallet-file";
import type { RunningRegistrar } from "../../server/registrar/app";
import type { RunningRelay } from "../../server/relay/app";
import {
  getJson,
  postJson,
  startTestRegistrar,
  startTestRelay,
  tempDir,
  testVoters,
  waitFor,
  type HttpAnswer,
} from "./harness";
import { startLiveElection, type LiveElection } from "./live-election";

const projectRoot = path.resolve(__dirname, "..", "..");
/** Runs the CLI as a child process, without blocking this process (the services run in it). */
const cli = (args: string[]) =>
  new Promise<{ status: number | null; stdout: string; stderr: string }>((resolve) => {
    const child = spawn(process.execPath, [path.join(projectRoot, "bin/ballot-ledger.cjs"), ...args], {
      cwd: projectRoot,
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    child.once("close", (status) => resolve({ status, stdout, stderr }));
  });

describe("services: issue, cast, track, re-vote (registrar + two relays on loopback, Hardhat node)", function () {
  this.timeout(180_000);
  let live: LiveElection;
  let registrar: RunningRegistrar;
  let relays: RunningRelay[];
  let dir: string;
  const voters = testVoters(6, 0).concat(testVoters(2, 1, "district"));
  const choose = (option: number) => ({ "party-list": [`party-list-option-${option}`] });

  before(async () => {
    live = await startLiveElection({ revotePolicy: "last-ballot-counts" });
    dir = tempDir("flow");
    registrar = await startTestRegistrar(live, voters, dir);
    relays = [await startTestRelay(live, 0, dir), await startTestRelay(live, 1, dir)];
  });
  after(async () => {
    for (const relay of relays ?? []) await relay.close();
    await registrar?.close();
    await live?.stop();
  });

  const voteAs = (
    voter: (typeof voters)[number],
    choices: Record<string, string[]>,
    wallet: string,
    relayUrls?: string[],
  ) =>
    castVote({
      client: live.client,
      election: live.election,
      registrarUrl: registrar.url,
      relayUrls: relayUrls ?? [relays[0].url],
      voterId: voter.voterId,
      code: voter.code,
      choices,
      walletFile: path.join(dir, wallet),
    });

  const onChain = (relay: RunningRelay, code: string) =>
    waitFor(`${code} on chain`, async () => {
      const answer = await getJson(`${relay.url}/v1/ballots/${code}`);
      return answer.body.status === "on-chain" ? answer.body : null;
    });

  it("publishes the registrar keys as recorded on chain", async () => {
    const answer = await getJson(`${registrar.url}/v1/keys`);
    expect(answer.status).to.equal(200);
    const keys = answer.body.keys as { style: number; modulus: string }[];
    expect(keys.map((k) => k.style)).to.deep.equal([0, 1]);
    for (const key of keys) expect(key.modulus).to.equal(toHex(live.registrarKeys.get(key.style)!.modulus));

    // `registrar set-keys`: nothing to send when the chain has the keys; refused once voting is open.
    const wallet = walletClientFor(live.endpoint, live.registrarAccountKey);
    const same = await publishRegistrarKeys(wallet, live.client, live.election, live.registrarKeys);
    expect(same.map((k) => k.changed)).to.deep.equal([false, false]);
    let error: unknown;
    await publishRegistrarKeys(
      wallet,
      live.client,
      live.election,
      new Map([[0, generateRegistrarKey(2048)]]),
    ).catch((e) => (error = e));
    expect((error as ElectionCallError).errorName).to.equal("RegistrarKeysLocked");
  });

  it("issues a credential, casts a ballot, and tracks it on the relay and the chain", async () => {
    const result = await voteAs(voters[0], choose(2), "alice.json");
    expect(result.credentialIssued).to.equal(true);
    expect(result.sequence).to.equal(1n);
    expect(result.relayAuthorized).to.equal(true);
    const status = await onChain(relays[0], result.trackingCode);
    expect(status.ballotHash).to.equal(result.ballotHash);

    const tracked = await trackBallot({
      client: live.client,
      election: live.election,
      trackingCode: result.trackingCode.toLowerCase().replace(/-/g, " "),
      relayUrls: [relays[0].url],
    });
    expect(tracked.chain.status).to.equal("recorded");
    expect(tracked.chain.superseded).to.equal(false);
    expect(tracked.chain.transactionHash).to.equal(status.transactionHash);
    expect(tracked.consistent).to.equal(true);

    const wallet = readWallet(path.join(dir, "alice.json"))!;
    expect(wallet.credential).to.not.equal(null);
    expect(wallet.pendingRequest).to.equal(null);
    expect(wallet.ballots).to.have.length(1);
    expect(wallet.ballots[0].answer?.receipt.trackingCode).to.equal(result.trackingCode);
    // The journal on chain holds the issuance.
    const record = (await loadElection(live.client, live.election)).record;
    expect(record.issuances.map((i) => i.requestHash)).to.include(wallet.issuance!.requestHash);
  });

  it("asks the registrar for the style, and the style's key signs (a voter of style 1)", async () => {
    const result = await voteAs(
      voters[6],
      { "party-list": ["party-list-option-1"], council: ["council-option-2"] },
      "dora.json",
    );
    await onChain(relays[0], result.trackingCode);
    expect(readWallet(path.join(dir, "dora.json"))!.credential!.styleIndex).to.equal(1);
  });

  it("re-votes with the stored key and a higher sequence; the last ballot counts", async () => {
    const first = await voteAs(voters[1], choose(1), "bob.json");
    await onChain(relays[0], first.trackingCode);
    const second = await castVote({
      client: live.client,
      election: live.election,
      relayUrls: [relays[1].url],
      choices: choose(4),
      walletFile: path.join(dir, "bob.json"),
    });
    expect(second.credentialIssued).to.equal(false);
    expect(second.sequence).to.equal(2n);
    await onChain(relays[1], second.trackingCode);

    const firstTracked = await trackBallot({
      client: live.client,
      election: live.election,
      trackingCode: first.trackingCode,
    });
    expect(firstTracked.chain.status).to.equal("recorded");
    expect(firstTracked.chain.superseded).to.equal(true);

    const loaded = await loadElection(live.client, live.election);
    const inputs = await Promise.all(
      loaded.record.ballots.map(async (b) => ({
        index: b.index,
        nullifier: b.nullifier,
        check: await checkSignedBallot(
          { context: loaded.context!, registrarKeys: loaded.registrarKeys },
          signedBallotOfRecord(b),
        ),
      })),
    );
    const { verdicts } = applyCountingRules(inputs);
    const byHash = new Map(loaded.record.ballots.map((b) => [b.ballotHash, verdicts[b.index].status]));
    expect(byHash.get(first.ballotHash)).to.equal("superseded");
    expect(byHash.get(second.ballotHash)).to.equal("counted");
    expect(verdicts.filter((v) => v.status === "excluded")).to.deep.equal([]);
  });

  it("refuses a second credential to the same voter, and repeats the first answer for the same request", async () => {
    const voter = voters[2];
    const modulus = live.registrarKeys.get(0)!.modulus;
    const request = await startCredentialRequest(live.context, modulus, 0, newVotingKey());
    const body = {
      voterId: voter.voterId,
      code: voter.code,
      style: 0,
      blindedMessage: request.blindedMessage,
    };
    const first = await postJson(`${registrar.url}/v1/credentials`, body);
    expect(first.status).to.equal(200);
    const again = await postJson(`${registrar.url}/v1/credentials`, body);
    expect(again.status).to.equal(200);
    expect(again.body.blindSignature).to.equal(first.body.blindSignature);
    expect(again.body.transactionHash).to.equal(first.body.transactionHash);

    const other = await startCredentialRequest(live.context, modulus, 0, newVotingKey());
    const refused = await postJson(`${registrar.url}/v1/credentials`, {
      ...body,
      blindedMessage: other.blindedMessage,
    });
    expect(refused.status).to.equal(409);
    expect(refused.body.error?.code).to.equal("already-issued");

    // The voter client reports it too (a new wallet means a new voting key and request).
    let error: unknown;
    await voteAs(voter, choose(1), "carol-second.json").catch((e) => (error = e));
    expect(error).to.be.instanceOf(VoterError);
    expect((error as VoterError).code).to.equal("already-issued");
  });

  it("falls back to the second relay when the first does not answer", async () => {
    const result = await voteAs(voters[3], choose(3), "erin.json", ["http://127.0.0.1:9", relays[1].url]);
    expect(result.relayUrl).to.equal(relays[1].url);
    await onChain(relays[1], result.trackingCode);
  });

  it("answers the registrar's refusals with reason codes", async () => {
    const url = `${registrar.url}/v1/credentials`;
    const request = await startCredentialRequest(
      live.context,
      live.registrarKeys.get(0)!.modulus,
      0,
      newVotingKey(),
    );
    const good = {
      voterId: voters[4].voterId,
      code: voters[4].code,
      style: 0,
      blindedMessage: request.blindedMessage,
    };
    const cases: [unknown, number, string][] = [
      [{ ...good, code: "wrong-code" }, 401, "authentication-failed"],
      [{ ...good, voterId: "nobody" }, 401, "authentication-failed"],
      [{ ...good, style: 1 }, 403, "wrong-style"],
      [{ ...good, blindedMessage: "0x1234" }, 400, "invalid-request"],
      [{ ...good, blindedMessage: `0x${"ff".repeat(256)}` }, 400, "invalid-blinded-message"],
      [{ ...good, style: "0" }, 400, "invalid-request"],
      [{ ...good, extra: 1 }, 400, "invalid-request"],
    ];
    for (const [body, status, code] of cases) {
      const answer = await postJson(url, body);
      expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
      expect(answer.body.error?.code).to.equal(code);
    }
    const malformed = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{",
    });
    expect(malformed.status).to.equal(400);
    expect(((await malformed.json()) as { error: { code: string } }).error.code).to.equal("malformed-json");
    const big = await fetch(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ ...good, code: "x".repeat(20_000) }),
    });
    expect(big.status).to.equal(413);
    // Wrong codes from one client: a few are free, then the client waits, longer each time
    // (docs/threat-model.md section 10); the right code passes once the wait is over.
    const target = voters[7];
    const guesses: HttpAnswer[] = [];
    for (let i = 0; i < 10 && guesses.at(-1)?.status !== 429; i++)
      guesses.push(
        await postJson(`${registrar.url}/v1/style`, { voterId: target.voterId, code: `guess-${i}` }),
      );
    const delayed = guesses.at(-1)!;
    expect(delayed.status).to.equal(429);
    expect(delayed.body.error?.code).to.equal("too-many-attempts");
    for (const guess of guesses.slice(0, -1))
      expect(guess.body.error?.code).to.equal("authentication-failed");
    await new Promise((r) => setTimeout(r, 1000 * Number(delayed.body.error?.retryAfterSeconds) + 100));
    const signedIn = await postJson(`${registrar.url}/v1/style`, {
      voterId: target.voterId,
      code: target.code,
    });
    expect(signedIn.status).to.equal(200);
    // None of these journaled anything: the voter still gets a credential.
    const ok = await postJson(url, good);
    expect(ok.status).to.equal(200);
  });

  it("votes and tracks through the command line (ballot-ledger vote / track)", async () => {
    const codeFile = path.join(dir, "code.txt");
    fs.writeFileSync(codeFile, `${voters[5].code}\n`);
    const wallet = path.join(dir, "cli-wallet.json");
    const common = ["--rpc", live.node.rpcUrl, "--election", live.election];
    const vote = await cli([
      "vote",
      ...common,
      "--registrar",
      registrar.url,
      "--relay",
      relays[0].url,
      "--voter-id",
      voters[5].voterId,
      "--code-file",
      codeFile,
      "--choice",
      "party-list=party-list-option-5",
      "--wallet",
      wallet,
      "--json",
    ]);
    expect(vote.status, vote.stderr).to.equal(0);
    const result = JSON.parse(vote.stdout) as { trackingCode: string; sequence: string };
    expect(result.sequence).to.equal("1");
    await onChain(relays[0], result.trackingCode);
    const track = await cli(["track", result.trackingCode, ...common, "--relay", relays[0].url]);
    expect(track.status, track.stderr).to.equal(0);
    expect(track.stdout).to.match(/chain\s+recorded/);

    const badChoice = await cli([
      "vote",
      ...common,
      "--relay",
      relays[0].url,
      "--choice",
      "party-list=nobody",
      "--wallet",
      wallet,
    ]);
    expect(badChoice.status).to.equal(2);
    expect(badChoice.stderr).to.match(/^ballot-ledger: /);
    expect(badChoice.stderr).to.not.include("    at ");
    const unknown = await cli(["track", "0000-0000-0000-0000", ...common]);
    expect(unknown.status).to.equal(4);
  });

  it("serves health and Prometheus metrics", async () => {
    const health = await getJson(`${relays[0].url}/health`);
    expect(health.status).to.equal(200);
    expect(health.body.status).to.equal("ok");
    const metrics = await (await fetch(`${relays[0].url}/metrics`)).text();
    expect(metrics).to.match(/relay_ballots_accepted_total\{service="relay"\} [1-9]/);
    expect(metrics).to.include('relay_queue_ballots{status="on-chain",service="relay"}');
    const registrarHealth = await getJson(`${registrar.url}/health`);
    expect(registrarHealth.body.status).to.equal("ok");
  });
});
