import path from "node:path";
import { expect } from "chai";
import { toHex, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import { walletClientFor } from "../../server/chain/clients";
import { sendElectionTx } from "../../server/chain/election-reader";
import { electionAbi } from "../../server/chain/generated/abis";
import { hexToBytes } from "../../server/protocol/primitives/bytes";
import { journalKey } from "../../server/protocol/channel";
import { issuanceRequestHash } from "../../server/protocol/issuance";
import type { RunningRegistrar } from "../../server/registrar/app";
import { IssuanceJournal } from "../../server/registrar/journal";
import type { RunningRelay } from "../../server/relay/app";
import { finishCredential, newVotingKey, startCredentialRequest } from "../../server/voter/booth";
import { castVote, VoterError } from "../../server/voter/voter";
import { readWallet } from "../../server/voter/wallet-file";
import { signedBallotOf } from "../protocol/fixtures";
import {
  getJson,
  postJson,
  startTestRegistrar,
  startTestRelay,
  tempDir,
  testVoters,
  waitFor,
} from "./harness";
import { startLiveElection, type LiveElection } from "./live-election";

describe("services: registrar crash recovery, and re-voting refused where the policy is none", function () {
  this.timeout(180_000);
  let live: LiveElection;
  let registrar: RunningRegistrar;
  let relays: RunningRelay[];
  let dir: string;
  const voters = testVoters(6);

  before(async () => {
    live = await startLiveElection({ revotePolicy: "none" });
    dir = tempDir("recovery");
    registrar = await startTestRegistrar(live, voters, dir);
    relays = [await startTestRelay(live, 0, dir), await startTestRelay(live, 1, dir)];
  });
  after(async () => {
    for (const relay of relays ?? []) await relay.close();
    await registrar?.close();
    await live?.stop();
  });

  const request = () =>
    startCredentialRequest(live.context, live.registrarKeys.get(0)!.modulus, 0, newVotingKey());
  const registrarWallet = () => walletClientFor(live.endpoint, live.registrarAccountKey);
  /** The journal key (docs/protocol.md 11.1), as the registrar computes it from the code. */
  const keyOf = (voterId: string) =>
    journalKey(live.context, voterId, voters.find((v) => v.voterId === voterId)!.code);
  const recordOnChain = (voterId: string, blinded: Hex) =>
    sendElectionTx(registrarWallet(), live.client, live.election, "recordIssuance", [
      keyOf(voterId),
      0,
      issuanceRequestHash(hexToBytes(blinded)),
    ]);

  /** Stops the registrar, lets `crash` leave the state a crash would, restarts on the same journal. */
  async function restartAfter(crash: (journal: IssuanceJournal) => Promise<void>) {
    await registrar.close();
    const journal = new IssuanceJournal(path.join(dir, "registrar.sqlite"), {
      chainId: live.endpoint.chainId,
      election: live.election,
    });
    try {
      await crash(journal);
    } finally {
      journal.close();
    }
    registrar = await startTestRegistrar(live, voters, dir);
  }

  it("answers a retry from the chain when it died after journaling the issuance on chain", async () => {
    const voter = voters[0];
    const req = await request();
    let sentIn: Hex | null = null;
    await restartAfter(async (journal) => {
      const head = await live.client.getBlockNumber();
      const vh = keyOf(voter.voterId);
      journal.markPending(vh, 0, issuanceRequestHash(hexToBytes(req.blindedMessage)), head);
      sentIn = (await recordOnChain(voter.voterId, req.blindedMessage)).transactionHash;
    });
    const body = { voterId: voter.voterId, code: voter.code, style: 0, blindedMessage: req.blindedMessage };
    const answer = await postJson(`${registrar.url}/v1/credentials`, body);
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    expect(answer.body.transactionHash).to.equal(sentIn);
    const credential = await finishCredential(
      live.registrarKeys.get(0)!.modulus,
      req,
      answer.body.blindSignature as Hex,
    );
    expect(credential.signature).to.match(/^0x[0-9a-f]{512}$/);
    const other = await request();
    const refused = await postJson(`${registrar.url}/v1/credentials`, {
      ...body,
      blindedMessage: other.blindedMessage,
    });
    expect(refused.status).to.equal(409);
    expect(refused.body.error?.code).to.equal("already-issued");
  });

  it("sends the issuance when it died before sending it", async () => {
    const voter = voters[1];
    const req = await request();
    await restartAfter(async (journal) => {
      const head = await live.client.getBlockNumber();
      journal.markPending(keyOf(voter.voterId), 0, issuanceRequestHash(hexToBytes(req.blindedMessage)), head);
    });
    const answer = await postJson(`${registrar.url}/v1/credentials`, {
      voterId: voter.voterId,
      code: voter.code,
      blindedMessage: req.blindedMessage,
    });
    expect(answer.status, JSON.stringify(answer.body)).to.equal(200);
    const issued = await live.client.readContract({
      address: live.election,
      abi: electionAbi,
      functionName: "isIssued",
      args: [keyOf(voter.voterId)],
    });
    expect(issued).to.equal(true);
  });

  it("trusts the chain over a lost journal: only the recorded request is answered", async () => {
    const voter = voters[2];
    const recorded = await request();
    await restartAfter(async () => {
      await recordOnChain(voter.voterId, recorded.blindedMessage);
    });
    const body = { voterId: voter.voterId, code: voter.code, style: 0 };
    const other = await postJson(`${registrar.url}/v1/credentials`, {
      ...body,
      blindedMessage: (await request()).blindedMessage,
    });
    expect(other.status).to.equal(409);
    expect(other.body.error?.code).to.equal("already-issued");
    const same = await postJson(`${registrar.url}/v1/credentials`, {
      ...body,
      blindedMessage: recorded.blindedMessage,
    });
    expect(same.status).to.equal(200);
  });

  it("refuses a re-vote where the policy is none: in the client, at the relay that has it, at another relay", async () => {
    const walletFile = path.join(dir, "frank.json");
    const first = await castVote({
      client: live.client,
      election: live.election,
      registrarUrl: registrar.url,
      relayUrls: [relays[0].url],
      voterId: voters[3].voterId,
      code: voters[3].code,
      choices: { "party-list": ["party-list-option-5"] },
      walletFile,
    });
    let error: unknown;
    await castVote({
      client: live.client,
      election: live.election,
      relayUrls: [relays[0].url],
      choices: { "party-list": ["party-list-option-1"] },
      walletFile,
    }).catch((e) => (error = e));
    expect(error).to.be.instanceOf(VoterError);
    expect((error as VoterError).code).to.equal("revote-not-allowed");

    const wallet = readWallet(walletFile)!;
    const account = privateKeyToAccount(wallet.votingKey);
    const voter = {
      account,
      styleIndex: 0,
      credential: {
        messagePrefix: hexToBytes(wallet.credential!.messagePrefix),
        signature: hexToBytes(wallet.credential!.signature),
      },
    };
    const revote = await signedBallotOf(live.context, voter, { "party-list": ["party-list-option-1"] }, 2n);
    const body = { ballot: toHex(revote.ballot), sequence: "2", signature: revote.signature };
    const stored = (relay: RunningRelay) =>
      Object.values(relay.app.relay.queue.counts()).reduce((a, b) => a + b, 0);
    const before = stored(relays[0]);
    const atSameRelay = await postJson(`${relays[0].url}/v1/ballots`, body);
    expect(atSameRelay.status).to.equal(409);
    expect(atSameRelay.body.error?.code).to.equal("revote-not-allowed");
    expect(stored(relays[0])).to.equal(before);

    await waitFor("first ballot on chain", async () => {
      const status = await getJson(`${relays[0].url}/v1/ballots/${first.trackingCode}`);
      return status.body.status === "on-chain";
    });
    await relays[1].app.relay.follower.sync();
    const atOtherRelay = await postJson(`${relays[1].url}/v1/ballots`, body);
    expect(atOtherRelay.status).to.equal(409);
    expect(atOtherRelay.body.error?.code).to.equal("revote-not-allowed");
    expect(stored(relays[1])).to.equal(0);
  });
});
