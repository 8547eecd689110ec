import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { zeroHash, type Hex } from "viem";
import { CANCELLED_SEQUENCE, cancellationTypes } from "../../server/protocol/channel";
import { ballotDomain } from "../../server/protocol/eip712";
import {
  DAY,
  completeCeremony,
  deployElectionFixture,
  expectRevert,
  newVoter,
  openVoting,
  precinctFixture,
  randomBytes,
  role,
  signedBallot,
  type Fixture,
  type Voter,
} from "./fixture";

/** One person, one channel on chain (docs/protocol.md section 11): precinctFixture's election. */
const credentialFields = randomBytes(8 + 32 + 256, 0.9);

async function signCancellation(f: Fixture, voter: Voter, voterIdHash: Hex, style: number) {
  return voter.account.signTypedData({
    domain: ballotDomain(f.chainId, f.electionAddress),
    types: cancellationTypes,
    primaryType: "Cancellation",
    message: { voterIdHash, style, credential: credentialFields },
  });
}

describe("Election: online roll", () => {
  it("publishes keys per style before opening, counted, each chunk an event", async () => {
    const f = await loadFixture(precinctFixture);
    const commission = await f.as(f.commission);
    const keys = [randomBytes(32, 0.11), randomBytes(32, 0.12), randomBytes(32, 0.13)];
    await commission.write.publishOnlineRoll([1, keys]);
    await commission.write.publishOnlineRoll([1, [randomBytes(32, 0.14)]]);
    expect(await f.election.read.onlineRollSize([1])).to.equal(4n);
    expect(await f.election.read.onlineRollSize([0])).to.equal(0n);
    const events = await f.election.getEvents.OnlineRollPublished({}, { fromBlock: 0n });
    expect(events.map((e) => e.args.voterIdHashes)).to.deep.equal([keys, [randomBytes(32, 0.14)]]);
    expect(events[0].args.style).to.equal(1);
  });

  it("refuses outsiders, empty or oversized chunks, zero keys, unknown styles and late publication", async () => {
    const f = await loadFixture(precinctFixture);
    const commission = await f.as(f.commission);
    await expectRevert(
      (await f.as(f.registrar)).write.publishOnlineRoll([0, [randomBytes(32)]]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(commission.write.publishOnlineRoll([0, []]), "InvalidRollChunk");
    await expectRevert(
      commission.write.publishOnlineRoll([
        0,
        Array.from({ length: 501 }, (_, i) => randomBytes(32, i / 1000)),
      ]),
      "InvalidRollChunk",
    );
    await expectRevert(
      commission.write.publishOnlineRoll([0, [randomBytes(32), zeroHash]]),
      "InvalidVoterIdHash",
    );
    await expectRevert(commission.write.publishOnlineRoll([2, [randomBytes(32)]]), "UnknownBallotStyle");
    await openVoting(f);
    await expectRevert(commission.write.publishOnlineRoll([0, [randomBytes(32)]]), "OnlineRollLocked");
    expect(await f.election.read.onlineRollSize([0])).to.equal(0n);
  });
});

describe("Election: paper ballots for online-roll voters", () => {
  it("records a paper ballot, then refuses a credential for the same voter", async () => {
    const f = await loadFixture(precinctFixture);
    const voter = randomBytes(32, 0.21);
    await f.precinct.write.recordPaperBallot([voter, 1]);
    expect(await f.election.read.hasPaperBallot([voter])).to.equal(true);
    expect(await f.election.read.paperBallotCount([1])).to.equal(1n);
    const [event] = await f.election.getEvents.PaperBallotIssued({}, { fromBlock: 0n });
    expect(event.args.voterIdHash).to.equal(voter);
    expect(event.args.style).to.equal(1);
    expect(event.args.precinct!.toLowerCase()).to.equal(f.precinctWallet.account.address.toLowerCase());
    await expectRevert(
      (await f.as(f.registrar)).write.recordIssuance([voter, 1, randomBytes(32)]),
      "PaperBallotAlreadyIssued",
    );
    await expectRevert(f.precinct.write.recordPaperBallot([voter, 1]), "PaperBallotAlreadyIssued");
    expect(await f.election.read.isIssued([voter])).to.equal(false);
    expect(await f.election.read.issuedTotal()).to.equal(0n);
  });

  it("refuses a paper ballot after a credential", async () => {
    const f = await loadFixture(precinctFixture);
    const voter = randomBytes(32, 0.22);
    await (await f.as(f.registrar)).write.recordIssuance([voter, 0, randomBytes(32)]);
    await expectRevert(f.precinct.write.recordPaperBallot([voter, 0]), "CredentialAlreadyIssued");
    expect(await f.election.read.hasPaperBallot([voter])).to.equal(false);
    expect(await f.election.read.paperBallotCount([0])).to.equal(0n);
  });

  it("refuses non-precincts, zero keys, unknown styles, the key ceremony and a pause; allowed while tallying", async () => {
    const f = await loadFixture(deployElectionFixture);
    const wallets = await hre.viem.getWalletClients();
    await (await f.as(f.commission)).write.grantRole([role("PRECINCT_ROLE"), wallets[15].account.address]);
    const precinct = await f.as(wallets[15]);
    await expectRevert(precinct.write.recordPaperBallot([randomBytes(32), 0]), "WrongPhase");
    await completeCeremony(f);
    await expectRevert(
      (await f.as(f.relay)).write.recordPaperBallot([randomBytes(32), 0]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(precinct.write.recordPaperBallot([zeroHash, 0]), "InvalidVoterIdHash");
    await expectRevert(precinct.write.recordPaperBallot([randomBytes(32), 2]), "UnknownBallotStyle");
    await (await f.as(f.commission)).write.pause();
    await expectRevert(precinct.write.recordPaperBallot([randomBytes(32), 0]), "EnforcedPause");
    await (await f.as(f.commission)).write.unpause();
    // Paper voting may outlast the online window: allowed while tallying.
    await time.increaseTo(f.params.closesAt);
    await precinct.write.recordPaperBallot([randomBytes(32, 0.23), 0]);
    expect(await f.election.read.paperBallotCount([0])).to.equal(1n);
  });
});

describe("Election: cancellation of the online channel", () => {
  it("cancels a credential holder's nullifier: no ballot is recorded under it afterwards", async () => {
    const f = await loadFixture(precinctFixture);
    await openVoting(f);
    const voterIdHash = randomBytes(32, 0.31);
    await (await f.as(f.registrar)).write.recordIssuance([voterIdHash, 1, randomBytes(32)]);
    const voter = newVoter(f);
    const relay = await f.as(f.relay);
    await relay.write.castBallots([[await signedBallot(f, voter, 1n)]]);
    const signature = await signCancellation(f, voter, voterIdHash, 1);
    await f.precinct.write.recordPaperBallotAfterCancellation([voterIdHash, 1, credentialFields, signature]);
    expect(await f.election.read.latestSequence([voter.nullifier])).to.equal(CANCELLED_SEQUENCE);
    expect(await f.election.read.hasPaperBallot([voterIdHash])).to.equal(true);
    expect(await f.election.read.cancellationCount([1])).to.equal(1n);
    expect(await f.election.read.paperBallotCount([1])).to.equal(1n);
    const [cancelled] = await f.election.getEvents.OnlineBallotCancelled({}, { fromBlock: 0n });
    expect(cancelled.args).to.deep.include({
      voterIdHash,
      nullifier: voter.nullifier,
      style: 1,
      credential: credentialFields,
      signature,
    });
    // A re-vote after the cancellation is skipped with SequenceNotHigher, as any stale ballot.
    const before = await f.election.read.ballotCount();
    await relay.write.castBallots([[await signedBallot(f, voter, 2n)]]);
    expect(await f.election.read.ballotCount()).to.equal(before);
    const [rejected] = await f.election.getEvents.BallotRejected({}, { fromBlock: 0n });
    expect(rejected.args.nullifier).to.equal(voter.nullifier);
    // Twice for one voter, or the same voting key for another voter: refused.
    await expectRevert(
      f.precinct.write.recordPaperBallotAfterCancellation([voterIdHash, 1, credentialFields, signature]),
      "PaperBallotAlreadyIssued",
    );
    const other = randomBytes(32, 0.32);
    await (await f.as(f.registrar)).write.recordIssuance([other, 1, randomBytes(32)]);
    await expectRevert(
      f.precinct.write.recordPaperBallotAfterCancellation([
        other,
        1,
        credentialFields,
        await signCancellation(f, voter, other, 1),
      ]),
      "AlreadyCancelled",
    );
  });

  it("refuses without a credential, with a broken signature, outside the online window", async () => {
    const f = await loadFixture(precinctFixture);
    await openVoting(f);
    const voter = newVoter(f);
    const voterIdHash = randomBytes(32, 0.33);
    const signature = await signCancellation(f, voter, voterIdHash, 0);
    await expectRevert(
      f.precinct.write.recordPaperBallotAfterCancellation([voterIdHash, 0, credentialFields, signature]),
      "NoCredentialToCancel",
    );
    await (await f.as(f.registrar)).write.recordIssuance([voterIdHash, 0, randomBytes(32)]);
    await expectRevert(
      f.precinct.write.recordPaperBallotAfterCancellation([voterIdHash, 0, credentialFields, "0x1234"]),
      "InvalidCancellationSignature",
    );
    await time.increaseTo(f.params.closesAt + DAY);
    await expectRevert(
      f.precinct.write.recordPaperBallotAfterCancellation([voterIdHash, 0, credentialFields, signature]),
      "WrongPhase",
    );
    expect(await f.election.read.latestSequence([voter.nullifier])).to.equal(0n);
    expect(await f.election.read.hasPaperBallot([voterIdHash])).to.equal(false);
  });
});
