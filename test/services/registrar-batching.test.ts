/**
 * The registrar's issuance journal in batches (issue 13): concurrent sign-ins
 * share one recordIssuances transaction, each answered only once the chain
 * holds its entry; an entry the contract refuses is answered with its reason
 * while the rest of its batch goes through. A real registrar over HTTP
 * against a live election. No timing is asserted: the batches are made
 * deterministic by their size (the window is long, the batch full).
 */
import path from "node:path";
import { expect } from "chai";
import { decodeFunctionData, keccak256, stringToHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { walletClientFor } from "../../server/chain/clients";
import { roleId } from "../../server/chain/deploy";
import { sendElectionTx } from "../../server/chain/election-reader";
import { electionAbi } from "../../server/chain/generated/abis";
import { journalKey } from "../../server/protocol/channel";
import { startRegistrar, type RunningRegistrar } from "../../server/registrar/app";
import { GroupCommit } from "../../server/service/group-commit";
import type { IssuanceBatching } from "../../server/registrar/issuer";
import { hashRoll, RollIdentityProvider } from "../../server/registrar/roll";
import { finishCredential, newVotingKey, startCredentialRequest } from "../../server/voter/booth";
import { postJson, silent, tempDir, testVoters, waitFor, type HttpAnswer } from "./harness";
import { startLiveElection, type LiveElection } from "./live-election";

/** Long enough never to be what closes a batch here: the batches below go when full. */
const NEVER_MS = 120_000;

describe("GroupCommit with a size and a window (the registrar's batcher)", () => {
  const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

  it("keeps a group open across turns until it is full; the rest starts the next group", async () => {
    const flushes: number[][] = [];
    const group = new GroupCommit<number, number>(
      (items) => {
        flushes.push(items);
        return items.map((i) => -i);
      },
      { maxItems: 3, maxWaitMs: NEVER_MS },
    );
    const results: Promise<number>[] = [];
    for (const i of [1, 2, 3, 4]) {
      results.push(group.submit(i));
      await nextTurn();
    }
    expect(await Promise.all(results.slice(0, 3))).to.deep.equal([-1, -2, -3]);
    expect(flushes).to.deep.equal([[1, 2, 3]]);
    expect(group.waiting).to.equal(1);
    for (const i of [5, 6]) results.push(group.submit(i));
    expect(await Promise.all(results.slice(3))).to.deep.equal([-4, -5, -6]);
    expect(flushes).to.deep.equal([
      [1, 2, 3],
      [4, 5, 6],
    ]);
  });

  it("sends a group that is not full when its window ends, and rejects every caller of a failed flush", async () => {
    const flushes: number[][] = [];
    const group = new GroupCommit<number, number>(
      (items) => {
        flushes.push(items);
        if (items.includes(13)) throw new Error("flush failed");
        return items;
      },
      { maxItems: 100, maxWaitMs: 20 },
    );
    expect(await Promise.all([group.submit(1), group.submit(2)])).to.deep.equal([1, 2]);
    const failed = await Promise.allSettled([group.submit(12), group.submit(13)]);
    expect(failed.map((r) => r.status)).to.deep.equal(["rejected", "rejected"]);
    expect(flushes).to.deep.equal([
      [1, 2],
      [12, 13],
    ]);
    expect(() => new GroupCommit(() => [], { maxItems: 0 })).to.throw(/invalid/);
  });
});

describe("services: registrar journals issuances in batches", function () {
  this.timeout(240_000);
  let live: LiveElection;
  let dir: string;
  let identity: RollIdentityProvider;
  const voters = testVoters(16, 0, "batch");
  const running: RunningRegistrar[] = [];

  const start = async (name: string, issuanceBatch: Partial<IssuanceBatching>) => {
    const registrar = await startRegistrar({
      endpoint: live.endpoint,
      election: live.election,
      accountKey: live.registrarAccountKey,
      identity,
      keys: live.registrarKeys,
      journalFile: path.join(dir, `${name}.sqlite`),
      rateLimit: { windowMs: 60_000, limit: 100_000 },
      issuanceBatch,
      logger: silent,
      defaultMetrics: false,
    });
    running.push(registrar);
    return registrar;
  };

  before(async () => {
    live = await startLiveElection();
    dir = tempDir("registrar-batching");
    identity = new RollIdentityProvider(await hashRoll(voters, 10));
  });
  after(async () => {
    for (const r of running) await r.close();
    await live?.stop();
  });

  const modulus = () => live.registrarKeys.get(0)!.modulus;
  const keyOf = (voter: (typeof voters)[number]) => journalKey(live.context, voter.voterId, voter.code);
  const signIn = async (registrar: RunningRegistrar, voter: (typeof voters)[number]) => {
    const request = await startCredentialRequest(live.context, modulus(), 0, newVotingKey());
    const answer = await postJson(`${registrar.url}/v1/credentials`, {
      voterId: voter.voterId,
      code: voter.code,
      blindedMessage: request.blindedMessage,
    });
    return { request, answer };
  };
  /** The recordIssuances entries of a transaction and its CredentialIssued events. */
  const transactionOf = async (hash: Hex) => {
    const tx = await live.client.getTransaction({ hash });
    const call = decodeFunctionData({ abi: electionAbi, data: tx.input });
    const receipt = await live.client.getTransactionReceipt({ hash });
    const events = await live.client.getContractEvents({
      address: live.election,
      abi: electionAbi,
      eventName: "CredentialIssued",
      blockHash: receipt.blockHash,
      strict: true,
    });
    return {
      functionName: call.functionName,
      entries: call.functionName === "recordIssuances" ? call.args[0] : [],
      events: events.filter((e) => e.transactionHash === hash).map((e) => e.args),
    };
  };
  const expectOk = (answer: HttpAnswer) => expect(answer.status, JSON.stringify(answer.body)).to.equal(200);

  it("journals concurrent sign-ins in one recordIssuances transaction, answering each once it is on chain", async () => {
    const registrar = await start("together", { maxSize: 5, maxWaitMs: NEVER_MS });
    const group = voters.slice(0, 5);
    const results = await Promise.all(group.map((voter) => signIn(registrar, voter)));
    for (const { answer } of results) expectOk(answer);
    const hashes = new Set(results.map(({ answer }) => answer.body.transactionHash as Hex));
    expect(hashes.size).to.equal(1);
    const [hash] = hashes;
    const tx = await transactionOf(hash);
    expect(tx.functionName).to.equal("recordIssuances");
    const expected = results.map(({ answer }) => ({
      voterIdHash: answer.body.voterIdHash,
      style: 0,
      requestHash: answer.body.requestHash,
    }));
    // The batch's order is the order the requests reached it; compare as sets.
    const byKey = (a: { voterIdHash: unknown }, b: { voterIdHash: unknown }) =>
      String(a.voterIdHash).localeCompare(String(b.voterIdHash));
    expect([...tx.entries].sort(byKey)).to.deep.equal([...expected].sort(byKey));
    expect([...tx.events].sort(byKey)).to.deep.equal([...expected].sort(byKey));
    expect(group.map(keyOf).sort()).to.deep.equal(expected.map((e) => e.voterIdHash).sort());
    for (const voter of group)
      expect(
        await live.client.readContract({
          address: live.election,
          abi: electionAbi,
          functionName: "isIssued",
          args: [keyOf(voter)],
        }),
      ).to.equal(true);
    expect(registrar.app.journalCounts()).to.deep.equal({ pending: 0, recorded: 5 });
    // Each voter's answer is a valid blind signature of its own request.
    for (const { request, answer } of results) {
      const credential = await finishCredential(modulus(), request, answer.body.blindSignature as Hex);
      expect(credential.signature).to.match(/^0x[0-9a-f]{512}$/);
    }
    // A repeat is answered from the local journal, with the same transaction.
    const again = await postJson(`${registrar.url}/v1/credentials`, {
      voterId: group[0].voterId,
      code: group[0].code,
      blindedMessage: results[0].request.blindedMessage,
    });
    expectOk(again);
    expect(again.body.transactionHash).to.equal(hash);
    expect(again.body.blindSignature).to.equal(results[0].answer.body.blindSignature);
  });

  it("refuses the entry of a voter with a paper ballot with its reason; the rest of the batch goes through", async () => {
    const precinct = walletClientFor(live.endpoint, live.spareAccountKeys[0]);
    await sendElectionTx(live.commission, live.client, live.election, "grantRole", [
      roleId("PRECINCT_ROLE"),
      precinct.account.address,
    ]);
    const [paperVoter, ...others] = voters.slice(5, 9);
    await sendElectionTx(precinct, live.client, live.election, "recordPaperBallot", [keyOf(paperVoter), 0]);

    const registrar = await start("paper", { maxSize: 4, maxWaitMs: NEVER_MS });
    const [paper, ...rest] = await Promise.all([paperVoter, ...others].map((v) => signIn(registrar, v)));
    expect(paper.answer.status, JSON.stringify(paper.answer.body)).to.equal(409);
    expect(paper.answer.body.error?.code).to.equal("paper-ballot-issued");
    for (const { answer } of rest) expectOk(answer);
    const hashes = new Set(rest.map(({ answer }) => answer.body.transactionHash as Hex));
    expect(hashes.size).to.equal(1);
    const tx = await transactionOf([...hashes][0]);
    expect(tx.entries.map((e) => e.voterIdHash).sort()).to.deep.equal(others.map(keyOf).sort());
    expect(tx.events.length).to.equal(3);
    // The refused voter left nothing: no journal entry, nothing on chain.
    expect(registrar.app.journalCounts()).to.deep.equal({ pending: 0, recorded: 3 });
    expect(
      await live.client.readContract({
        address: live.election,
        abi: electionAbi,
        functionName: "isIssued",
        args: [keyOf(paperVoter)],
      }),
    ).to.equal(false);
  });

  it("answers an entry recorded meanwhile by another registrar from the chain; the rest of the batch goes through", async () => {
    const other = walletClientFor(live.endpoint, live.spareAccountKeys[1]);
    await sendElectionTx(live.commission, live.client, live.election, "grantRole", [
      roleId("REGISTRAR_ROLE"),
      privateKeyToAccount(live.spareAccountKeys[1]).address,
    ]);
    const [raced, ...others] = voters.slice(9, 13);
    const registrar = await start("race", { maxSize: 4, maxWaitMs: NEVER_MS });
    // Three sign-ins wait in the batch (their voters were not on chain when they looked) ...
    const waiting = [raced, others[0], others[1]].map((v) => signIn(registrar, v));
    await waitFor(
      "three issuances waiting for their batch",
      async () => registrar.app.issuancesWaiting() === 3,
    );
    // ... when another registrar records one of them, for another request; the fourth fills the batch.
    const otherRequest = keccak256(stringToHex("another registrar's request"));
    await sendElectionTx(other, live.client, live.election, "recordIssuance", [
      keyOf(raced),
      0,
      otherRequest,
    ]);
    const [racedResult, ...rest] = await Promise.all([...waiting, signIn(registrar, others[2])]);
    expect(racedResult.answer.status, JSON.stringify(racedResult.answer.body)).to.equal(409);
    expect(racedResult.answer.body.error?.code).to.equal("already-issued");
    expect(racedResult.answer.body.error?.requestHash).to.equal(otherRequest);
    for (const { answer } of rest) expectOk(answer);
    const hashes = new Set(rest.map(({ answer }) => answer.body.transactionHash as Hex));
    expect(hashes.size).to.equal(1);
    const tx = await transactionOf([...hashes][0]);
    expect(tx.entries.map((e) => e.voterIdHash).sort()).to.deep.equal(others.map(keyOf).sort());
    // The journal holds what the chain holds, the other registrar's entry included.
    expect(registrar.app.journalCounts()).to.deep.equal({ pending: 0, recorded: 4 });
  });
});
