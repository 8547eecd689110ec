import { expect } from "chai";
import { toHex, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { encryptBallot } from "../../server/protocol/ballot";
import type { SignedBallot } from "../../server/protocol/ballot-check";
import { generateRegistrarKey } from "../../server/protocol/credential-issuer";
import { nullifierOf, signBallot } from "../../server/protocol/eip712";
import type { RunningRelay } from "../../server/relay/app";
import { credentialedVoter, signedBallotOf, type TestVoter } from "../protocol/fixtures";
import { getJson, postJson, rawPost, startTestRelay, tempDir, waitFor, type HttpAnswer } from "./harness";
import { startLiveElection, type LiveElection } from "./live-election";

describe("services: the relay refuses hostile input with a reason code and queues nothing", function () {
  this.timeout(180_000);
  let live: LiveElection;
  let relay: RunningRelay;
  let viewRelay: RunningRelay;
  let dir: string;
  const choice = { "party-list": ["party-list-option-3"] };

  before(async () => {
    live = await startLiveElection({ revotePolicy: "last-ballot-counts", relays: 3 });
    dir = tempDir("hostile");
    relay = await startTestRelay(live, 0, dir);
    viewRelay = await startTestRelay(live, 1, dir, { chainCheck: "view" });
  });
  after(async () => {
    await relay?.close();
    await viewRelay?.close();
    await live?.stop();
  });

  const voter = () => credentialedVoter(live.context, live.registrarKeys.get(0)!, 0);
  const bodyOf = (signed: SignedBallot) => ({
    ballot: toHex(signed.ballot),
    sequence: signed.sequence.toString(),
    signature: signed.signature,
  });
  const stored = (target: RunningRelay) =>
    Object.values(target.app.relay.queue.counts()).reduce((a, b) => a + b, 0);

  /** Sends a request and checks the refusal and that the store did not grow. */
  async function refused(send: () => Promise<HttpAnswer>, status: number, code: string, target = relay) {
    const before = stored(target);
    const answer = await send();
    expect(answer.status, JSON.stringify(answer.body)).to.equal(status);
    expect(answer.body.error?.code, JSON.stringify(answer.body)).to.equal(code);
    expect(answer.body.error?.message).to.be.a("string").and.not.equal("");
    expect(stored(target), "nothing queued").to.equal(before);
  }
  const post =
    (body: unknown, target = relay) =>
    () =>
      postJson(`${target.url}/v1/ballots`, body);
  const onChain = (target: RunningRelay, code: string) =>
    waitFor(`${code} on chain`, async () => {
      const answer = await getJson(`${target.url}/v1/ballots/${code}`);
      return answer.body.status === "on-chain" ? answer.body : null;
    });

  it("malformed JSON, another content type, an oversized body", async () => {
    const url = `${relay.url}/v1/ballots`;
    await refused(() => rawPost(url, '{"ballot": "0x12",'), 400, "malformed-json");
    await refused(
      () => rawPost(url, "ballot=0x12", "application/x-www-form-urlencoded"),
      415,
      "unsupported-media-type",
    );
    const signed = await signedBallotOf(live.context, await voter(), choice);
    await refused(post({ ...bodyOf(signed), ballot: `0x${"ab".repeat(60_000)}` }), 413, "payload-too-large");
    await refused(() => rawPost(url, JSON.stringify([bodyOf(signed)])), 400, "invalid-request");
  });

  it("wrong types, missing and extra fields, out-of-range values", async () => {
    const good = bodyOf(await signedBallotOf(live.context, await voter(), choice));
    const cases: unknown[] = [
      { ...good, sequence: true },
      { ...good, sequence: "0" },
      { ...good, sequence: "18446744073709551616" },
      { ...good, sequence: -1 },
      { ...good, ballot: 1234 },
      { ...good, ballot: "0xabc" },
      { ...good, ballot: "not hex" },
      { ...good, ballot: "0x" },
      { ...good, signature: `${good.signature}00` },
      { ballot: good.ballot, sequence: good.sequence },
      { ...good, extra: "field" },
      "a string",
      null,
    ];
    for (const body of cases) await refused(post(body), 400, "invalid-request");
    await refused(
      post({ ...good, election: "0x0000000000000000000000000000000000000001" }),
      400,
      "wrong-election",
    );
  });

  it("a broken signature, a ballot signed by another key, one signed for another election", async () => {
    const alice = await voter();
    const signed = await signedBallotOf(live.context, alice, choice);
    const highS = `${signed.signature.slice(0, 66)}${"f".repeat(64)}1b` as Hex;
    await refused(post({ ...bodyOf(signed), signature: highS }), 422, "invalid-signature");
    await refused(post({ ...bodyOf(signed), signature: `0x${"00".repeat(65)}` }), 422, "invalid-signature");
    const mallory = privateKeyToAccount(generatePrivateKey());
    const resigned = await signBallot(mallory, live.context, signed.ballot, 1n);
    await refused(post({ ...bodyOf(signed), signature: resigned }), 422, "invalid-credential");
    const otherElection = {
      chainId: live.context.chainId,
      election: "0x00000000000000000000000000000000000000aa" as const,
    };
    const elsewhere = await signBallot(alice.account, otherElection, signed.ballot, 1n);
    await refused(post({ ...bodyOf(signed), signature: elsewhere }), 422, "invalid-credential");
  });

  it("a forged credential, a reused credential, a proof for another nullifier", async () => {
    const forger = await credentialedVoter(live.context, generateRegistrarKey(2048), 0);
    await refused(
      post(bodyOf(await signedBallotOf(live.context, forger, choice))),
      422,
      "invalid-credential",
    );

    const alice = await voter();
    const bob = await voter();
    const reused: TestVoter = { ...bob, credential: alice.credential };
    await refused(
      post(bodyOf(await signedBallotOf(live.context, reused, choice))),
      422,
      "invalid-credential",
    );

    const { bytes } = encryptBallot(
      live.context,
      0,
      choice,
      nullifierOf(live.election, bob.account.address),
      alice.credential,
    );
    const signature = await signBallot(alice.account, live.context, bytes, 1n);
    await refused(post({ ballot: toHex(bytes), sequence: "1", signature }), 422, "invalid-proof");

    const tampered = (await signedBallotOf(live.context, alice, choice)).ballot.slice();
    tampered[tampered.length - 40] ^= 0x01;
    const tamperedSignature = await signBallot(alice.account, live.context, tampered, 1n);
    const before = stored(relay);
    const answer = await postJson(`${relay.url}/v1/ballots`, {
      ballot: toHex(tampered),
      sequence: "1",
      signature: tamperedSignature,
    });
    expect(answer.status).to.equal(422);
    expect(["invalid-proof", "malformed-ballot"]).to.include(answer.body.error?.code);
    expect(stored(relay)).to.equal(before);
  });

  it("a replayed ballot and a stale sequence, against the queue and against the chain", async () => {
    const carol = await voter();
    const first = await signedBallotOf(live.context, carol, choice, 1n);
    const accepted = await postJson(`${relay.url}/v1/ballots`, bodyOf(first));
    expect(accepted.status).to.equal(202);
    await refused(post(bodyOf(first)), 409, "duplicate-ballot");
    await refused(
      post(bodyOf(await signedBallotOf(live.context, carol, choice, 1n))),
      409,
      "sequence-not-higher",
    );
    await onChain(relay, accepted.body.trackingCode as string);
    await refused(post(bodyOf(first)), 409, "duplicate-ballot");

    const second = await signedBallotOf(live.context, carol, choice, 3n);
    const revote = await postJson(`${relay.url}/v1/ballots`, bodyOf(second));
    expect(revote.status).to.equal(202);
    await onChain(relay, revote.body.trackingCode as string);
    await viewRelay.app.relay.follower.sync();
    await refused(
      post(bodyOf(await signedBallotOf(live.context, carol, choice, 2n))),
      409,
      "sequence-not-higher",
    );
    // The other relay never saw these ballots: it refuses from the chain (index and contract view).
    await refused(post(bodyOf(first), viewRelay), 409, "sequence-not-higher", viewRelay);
    await refused(post(bodyOf(second), viewRelay), 409, "sequence-not-higher", viewRelay);
  });

  it("concurrent copies of one voter's ballot: exactly one is queued", async () => {
    const dave = await voter();
    const copies = await Promise.all([1, 2, 3, 4].map(() => signedBallotOf(live.context, dave, choice, 1n)));
    const before = stored(relay);
    const answers = await Promise.all(copies.map((c) => postJson(`${relay.url}/v1/ballots`, bodyOf(c))));
    expect(answers.filter((a) => a.status === 202)).to.have.length(1);
    for (const a of answers.filter((a) => a.status !== 202)) {
      expect(a.status).to.equal(409);
      expect(a.body.error?.code).to.equal("sequence-not-higher");
    }
    expect(stored(relay)).to.equal(before + 1);
  });

  it("tracking codes: malformed and unknown", async () => {
    const malformed = await getJson(`${relay.url}/v1/ballots/not-a-code`);
    expect(malformed.status).to.equal(400);
    expect(malformed.body.error?.code).to.equal("invalid-tracking-code");
    const unknown = await getJson(`${relay.url}/v1/ballots/0000-0000-0000-0000`);
    expect(unknown.status).to.equal(404);
    expect(unknown.body.error?.code).to.equal("unknown-tracking-code");
    const route = await getJson(`${relay.url}/v2/ballots`);
    expect(route.status).to.equal(404);
    expect(route.body.error?.code).to.equal("not-found");
  });

  it("rate-limits per client", async () => {
    const limited = await startTestRelay(live, 1, tempDir("limited"), {
      rateLimit: { windowMs: 60_000, limit: 3 },
    });
    try {
      const body = bodyOf(await signedBallotOf(live.context, await voter(), choice));
      for (let i = 0; i < 3; i++) await postJson(`${limited.url}/v1/ballots`, { ...body, sequence: "x" });
      await refused(post(body, limited), 429, "rate-limited", limited);
    } finally {
      await limited.close();
    }
  });

  it("a ballot outside the voting window; ballots still queued at the close are rejected", async () => {
    const holding = await startTestRelay(live, 2, tempDir("holding"), { maxWaitMs: 600_000, maxBatch: 200 });
    try {
      const queued = await postJson(
        `${holding.url}/v1/ballots`,
        bodyOf(await signedBallotOf(live.context, await voter(), choice)),
      );
      expect(queued.status).to.equal(202);
      const late = await signedBallotOf(live.context, await voter(), choice);
      await live.closeVoting();
      await relay.app.relay.follower.sync();
      await refused(post(bodyOf(late)), 409, "voting-closed");
      await holding.app.relay.follower.sync();
      const status = await waitFor("the queued ballot rejected", async () => {
        const answer = await getJson(`${holding.url}/v1/ballots/${queued.body.trackingCode}`);
        return answer.body.status === "rejected" ? answer.body : null;
      });
      expect(status.reason).to.equal("voting-closed");
    } finally {
      await holding.close();
    }
  });
});
