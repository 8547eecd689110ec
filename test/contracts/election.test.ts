import hre from "hardhat";
import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, encodeAbiParameters, toFunctionSelector, zeroHash, type Hex } from "viem";
import {
  DAY,
  N,
  T,
  completeCeremony,
  deployElectionFixture,
  expectRevert,
  newVoter,
  openVoting,
  modulusLike,
  randomBytes,
  setRegistrarKeys,
  signedBallot,
  type Fixture,
} from "./fixture";
import { attestationTypes, ballotDomain } from "../../server/protocol/eip712";

const selector = (signature: string): Hex => toFunctionSelector(`function ${signature}`);
const SELECTORS = {
  InvalidBallotSize: selector("InvalidBallotSize(uint256)"),
  InvalidBallotSignature: selector("InvalidBallotSignature()"),
  RevoteNotAllowed: selector("RevoteNotAllowed()"),
  SequenceNotHigher: selector("SequenceNotHigher(uint64)"),
};

const chainRunning = (previous: Hex, nullifier: Hex, sequence: bigint, ballotHash: Hex): Hex =>
  keccak256(
    encodeAbiParameters(
      [{ type: "bytes32" }, { type: "bytes32" }, { type: "uint64" }, { type: "bytes32" }],
      [previous, nullifier, sequence, ballotHash],
    ),
  );

async function votingFixture() {
  const f = await deployElectionFixture();
  await completeCeremony(f);
  await setRegistrarKeys(f);
  await openVoting(f);
  return f;
}

async function noRevoteVotingFixture() {
  const f = await deployElectionFixture({ revotePolicy: 0 });
  await completeCeremony(f);
  await setRegistrarKeys(f);
  await openVoting(f);
  return f;
}

async function readyFixture() {
  const f = await deployElectionFixture();
  await completeCeremony(f);
  await setRegistrarKeys(f);
  return f;
}

describe("Election: creation", () => {
  it("records the parameters, the factory and the manifest event", async () => {
    const f = await loadFixture(deployElectionFixture);
    expect(await f.election.read.manifestHash()).to.equal(f.params.manifestHash);
    expect(await f.election.read.opensAt()).to.equal(f.params.opensAt);
    expect(await f.election.read.closesAt()).to.equal(f.params.closesAt);
    expect(await f.election.read.threshold()).to.equal(T);
    expect(await f.election.read.trusteeCount()).to.equal(N);
    expect(await f.election.read.ballotStyleCount()).to.equal(2);
    expect(await f.election.read.revotePolicy()).to.equal(1);
    expect((await f.election.read.factory()).toLowerCase()).to.equal(f.factory.address.toLowerCase());
    expect(await f.election.read.phase()).to.equal(0);
    expect((await f.election.read.trustees()).map((a) => a.toLowerCase())).to.deep.equal(
      f.params.trustees.map((a) => a.toLowerCase()),
    );
    expect(await f.election.read.trusteeIndexOf([f.trusteeWallets[2].account.address])).to.equal(3);
    expect(await f.election.read.trusteeIndexOf([f.outsider.account.address])).to.equal(0);
    expect(await f.factory.read.electionCount()).to.equal(1n);
    expect((await f.factory.read.electionAt([0n])).toLowerCase()).to.equal(f.electionAddress.toLowerCase());
    expect(await f.factory.read.isElection([f.electionAddress])).to.equal(true);
    const [created] = await f.factory.getEvents.ElectionCreated({}, { fromBlock: 0n });
    expect(created.args.manifest).to.equal(f.manifest);
    expect(created.args.manifestHash).to.equal(f.params.manifestHash);
    expect(await f.election.read.hasRole([zeroHash, f.commission.account.address])).to.equal(true);
  });

  it("refuses invalid parameters with a specific error", async () => {
    const f = await loadFixture(deployElectionFixture);
    const now = BigInt(await time.latest());
    const base = { ...f.params, opensAt: now + DAY, closesAt: now + 2n * DAY };
    const create = (p: typeof base, manifest: Hex = f.manifest) =>
      f.factory.write.createElection([p, manifest]);
    await expectRevert(create({ ...base, manifestHash: zeroHash }), "InvalidManifestHash");
    await expectRevert(
      create({ ...base, commission: "0x0000000000000000000000000000000000000000" }),
      "InvalidCommission",
    );
    await expectRevert(create({ ...base, closesAt: base.opensAt }), "InvalidVotingWindow");
    await expectRevert(
      create({ ...base, opensAt: now - 10n * DAY, closesAt: now - DAY }),
      "InvalidVotingWindow",
    );
    await expectRevert(create({ ...base, ballotStyleCount: 0 }), "InvalidBallotStyleCount");
    await expectRevert(create({ ...base, threshold: 0 }), "InvalidThreshold");
    await expectRevert(create({ ...base, threshold: 6 }), "InvalidThreshold");
    await expectRevert(create({ ...base, trustees: [] }), "InvalidThreshold");
    await expectRevert(
      create({ ...base, trustees: Array(33).fill(f.outsider.account.address) }),
      "InvalidThreshold",
    );
    const dup = [...base.trustees];
    dup[1] = dup[0];
    await expectRevert(create({ ...base, trustees: dup }), "InvalidTrustee");
    const zero = [...base.trustees];
    zero[4] = "0x0000000000000000000000000000000000000000";
    await expectRevert(create({ ...base, trustees: zero }), "InvalidTrustee");
    await expectRevert(create(base, "0x"), "InvalidManifest");
    const asOutsider = await hre.viem.getContractAt("ElectionFactory", f.factory.address, {
      client: { wallet: f.outsider },
    });
    await expectRevert(
      asOutsider.write.createElection([base, f.manifest]),
      "AccessControlUnauthorizedAccount",
    );
    expect(await f.factory.read.electionCount()).to.equal(1n);
  });

  it("refuses a factory without admin", async () => {
    await expectRevert(
      hre.viem.deployContract("ElectionFactory", ["0x0000000000000000000000000000000000000000"]),
      "InvalidAdmin",
    );
  });
});

describe("Election: commission controls", () => {
  it("extends the window only forward and only before it closes", async () => {
    const f = await loadFixture(deployElectionFixture);
    const asCommission = await f.as(f.commission);
    await expectRevert(
      (await f.as(f.outsider)).write.extendWindow([f.params.closesAt + DAY]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(asCommission.write.extendWindow([f.params.closesAt]), "InvalidExtension");
    await asCommission.write.extendWindow([f.params.closesAt + DAY]);
    const [event] = await f.election.getEvents.VotingWindowExtended();
    expect(event.args.previousClosesAt).to.equal(f.params.closesAt);
    expect(event.args.newClosesAt).to.equal(f.params.closesAt + DAY);
    expect(await f.election.read.closesAt()).to.equal(f.params.closesAt + DAY);
    await time.increaseTo(f.params.closesAt + DAY);
    await expectRevert(asCommission.write.extendWindow([f.params.closesAt + 2n * DAY]), "VotingClosed");
    expect(await f.election.read.closesAt()).to.equal(f.params.closesAt + DAY);
  });

  it("pauses and unpauses issuance and casting", async () => {
    const f = await loadFixture(votingFixture);
    const asCommission = await f.as(f.commission);
    await expectRevert((await f.as(f.outsider)).write.pause(), "AccessControlUnauthorizedAccount");
    await asCommission.write.pause();
    expect(await f.election.read.paused()).to.equal(true);
    const voter = newVoter(f);
    await expectRevert(
      (await f.as(f.relay)).write.castBallots([[await signedBallot(f, voter, 1n)]]),
      "EnforcedPause",
    );
    await expectRevert(
      (await f.as(f.registrar)).write.recordIssuance([randomBytes(32), 0, zeroHash]),
      "EnforcedPause",
    );
    await asCommission.write.unpause();
    await (await f.as(f.relay)).write.castBallots([[await signedBallot(f, voter, 1n)]]);
    expect(await f.election.read.ballotCount()).to.equal(1n);
  });
});

describe("Election: registrar keys and issuance journal", () => {
  it("publishes RSA moduli per style and refuses wrong lengths, unknown styles and late changes", async () => {
    const f = await loadFixture(deployElectionFixture);
    const registrar = await f.as(f.registrar);
    const modulus = modulusLike(384, 0.9);
    await registrar.write.setRegistrarKey([1, modulus]);
    expect(await f.election.read.registrarKeyHash([1])).to.equal(keccak256(modulus));
    const [event] = await f.election.getEvents.RegistrarKeySet();
    expect(event.args.rsaModulus).to.equal(modulus);
    for (const length of [0, 128, 255, 257, 1024]) {
      await expectRevert(registrar.write.setRegistrarKey([0, randomBytes(length)]), "InvalidRegistrarKey");
    }
    // The one modulus rule of protocol.md section 8: top bit set and odd.
    const valid = modulusLike(256, 0.3);
    const topBitClear =
      `0x${(parseInt(valid.slice(2, 4), 16) & 0x7f).toString(16).padStart(2, "0")}${valid.slice(4)}` as Hex;
    const even =
      `${valid.slice(0, -2)}${(parseInt(valid.slice(-2), 16) & 0xfe).toString(16).padStart(2, "0")}` as Hex;
    for (const bad of [`0x00${randomBytes(255).slice(2)}` as Hex, topBitClear, even])
      await expectRevert(registrar.write.setRegistrarKey([0, bad]), "InvalidRegistrarKey");
    await expectRevert(registrar.write.setRegistrarKey([2, valid]), "UnknownBallotStyle");
    await expectRevert(
      (await f.as(f.outsider)).write.setRegistrarKey([0, valid]),
      "AccessControlUnauthorizedAccount",
    );
    expect(await f.election.read.registrarKeyHash([0])).to.equal(zeroHash);
    await openVoting(f);
    await expectRevert(registrar.write.setRegistrarKey([0, valid]), "RegistrarKeysLocked");
  });

  it("journals one issuance per voter and counts per style", async () => {
    const f = await loadFixture(readyFixture);
    const registrar = await f.as(f.registrar);
    const voterA = randomBytes(32, 0.11);
    const request = randomBytes(32, 0.12);
    await registrar.write.recordIssuance([voterA, 1, request]);
    const [event] = await f.election.getEvents.CredentialIssued();
    expect(event.args.voterIdHash).to.equal(voterA);
    expect(event.args.style).to.equal(1);
    expect(event.args.requestHash).to.equal(request);
    expect(await f.election.read.isIssued([voterA])).to.equal(true);
    expect(await f.election.read.issuedCount([1])).to.equal(1n);
    expect(await f.election.read.issuedTotal()).to.equal(1n);
    await expectRevert(registrar.write.recordIssuance([voterA, 0, request]), "AlreadyIssued");
    await expectRevert(registrar.write.recordIssuance([zeroHash, 0, request]), "InvalidVoterIdHash");
    await expectRevert(registrar.write.recordIssuance([randomBytes(32), 7, request]), "UnknownBallotStyle");
    await expectRevert(
      (await f.as(f.relay)).write.recordIssuance([randomBytes(32), 0, request]),
      "AccessControlUnauthorizedAccount",
    );
    expect(await f.election.read.issuedTotal()).to.equal(1n);
    expect(await f.election.read.issuedCount([0])).to.equal(0n);
  });

  it("refuses issuance before the ceremony, without a registrar key, and after close", async () => {
    const f = await loadFixture(deployElectionFixture);
    const registrar = await f.as(f.registrar);
    await expectRevert(registrar.write.recordIssuance([randomBytes(32), 0, zeroHash]), "WrongPhase");
    await completeCeremony(f);
    await expectRevert(registrar.write.recordIssuance([randomBytes(32), 0, zeroHash]), "RegistrarKeyMissing");
    await setRegistrarKeys(f);
    await time.increaseTo(f.params.closesAt);
    await expectRevert(registrar.write.recordIssuance([randomBytes(32), 0, zeroHash]), "WrongPhase");
    expect(await f.election.read.issuedTotal()).to.equal(0n);
  });
});

describe("Election: key ceremony", () => {
  it("runs keys -> shares -> confirmations -> Ready with events", async () => {
    const f = await loadFixture(deployElectionFixture);
    const key = await completeCeremony(f);
    expect(await f.election.read.jointKey()).to.equal(key);
    expect(await f.election.read.phase()).to.equal(1);
    expect((await f.election.getEvents.TrusteeKeysPosted({}, { fromBlock: 0n })).length).to.equal(N);
    expect((await f.election.getEvents.SharesPosted({}, { fromBlock: 0n })).length).to.equal(N);
    expect((await f.election.getEvents.JointKeyConfirmed({}, { fromBlock: 0n })).length).to.equal(N);
    const [published] = await f.election.getEvents.JointKeyPublished({ fromBlock: 0n });
    expect(published.args.jointKey).to.equal(key);
    const [phase] = await f.election.getEvents.PhaseChanged({ fromBlock: 0n });
    expect(phase.args.phase).to.equal(1);
    const progress = await f.election.read.ceremonyProgress([0]);
    expect(progress.keysPosted).to.equal(N);
    expect(progress.confirmations).to.equal(N);
    const first = await f.as(f.trusteeWallets[0]);
    await expectRevert(
      first.write.postTrusteeKeys([randomBytes(96), randomBytes(192), randomBytes(32)]),
      "WrongPhase",
    );
  });

  it("checks every length, the order of steps, and who posts", async () => {
    const f = await loadFixture(deployElectionFixture);
    const [t1, t2] = await Promise.all(f.trusteeWallets.slice(0, 2).map((w) => f.as(w)));
    await expectRevert(
      (await f.as(f.outsider)).write.postTrusteeKeys([randomBytes(96), randomBytes(192), randomBytes(32)]),
      "NotTrustee",
    );
    await expectRevert(
      t1.write.postTrusteeKeys([randomBytes(95), randomBytes(192), randomBytes(32)]),
      "InvalidCommitmentsLength",
    );
    await expectRevert(
      t1.write.postTrusteeKeys([randomBytes(96), randomBytes(191), randomBytes(32)]),
      "InvalidProofsLength",
    );
    await expectRevert(
      t1.write.postTrusteeKeys([randomBytes(96), randomBytes(192), zeroHash]),
      "InvalidBoxKey",
    );
    await t1.write.postTrusteeKeys([randomBytes(96), randomBytes(192), randomBytes(32)]);
    await expectRevert(
      t1.write.postTrusteeKeys([randomBytes(96), randomBytes(192), randomBytes(32)]),
      "AlreadyPosted",
    );
    await expectRevert(t1.write.postShares([randomBytes(256)]), "CeremonyStepNotReady");
    await expectRevert(t1.write.confirmJointKey([randomBytes(32)]), "CeremonyStepNotReady");
    for (const w of f.trusteeWallets.slice(1)) {
      await (await f.as(w)).write.postTrusteeKeys([randomBytes(96), randomBytes(192), randomBytes(32)]);
    }
    await expectRevert(t1.write.postShares([randomBytes(255)]), "InvalidSharesLength");
    await expectRevert(t1.write.complain([2, randomBytes(96)]), "CeremonyStepNotReady");
    await t1.write.postShares([randomBytes(256)]);
    await expectRevert(t1.write.postShares([randomBytes(256)]), "AlreadyPosted");
    await expectRevert(t2.write.complain([1, randomBytes(95)]), "InvalidEvidenceLength");
    await expectRevert(t2.write.complain([2, randomBytes(96)]), "InvalidTrusteeIndex");
    await expectRevert(t2.write.complain([0, randomBytes(96)]), "InvalidTrusteeIndex");
    await expectRevert(t2.write.complain([6, randomBytes(96)]), "InvalidTrusteeIndex");
    const progress = await f.election.read.ceremonyProgress([0]);
    expect(progress.sharesPosted).to.equal(1);
    expect(progress.complaints).to.equal(0);
  });

  it("records complaints, blocks confirmation while disputed, and restarts with new trustees", async () => {
    const f = await loadFixture(deployElectionFixture);
    const trustees = await Promise.all(f.trusteeWallets.map((w) => f.as(w)));
    for (const t of trustees)
      await t.write.postTrusteeKeys([randomBytes(96), randomBytes(192), randomBytes(32)]);
    for (const t of trustees) await t.write.postShares([randomBytes(256)]);
    const evidence = randomBytes(96, 0.77);
    await trustees[1].write.complain([3, evidence]);
    const [complaint] = await f.election.getEvents.ComplaintFiled();
    expect(complaint.args.complainer).to.equal(2);
    expect(complaint.args.accused).to.equal(3);
    expect(complaint.args.evidence).to.equal(evidence);
    expect(await f.election.read.hasComplained([0, 2, 3])).to.equal(true);
    await expectRevert(trustees[1].write.complain([3, evidence]), "AlreadyComplained");
    await expectRevert(trustees[0].write.confirmJointKey([randomBytes(32)]), "CeremonyDisputed");
    const asCommission = await f.as(f.commission);
    await expectRevert(
      trustees[0].write.restartCeremony([f.params.trustees]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      asCommission.write.restartCeremony([f.params.trustees.slice(0, 4)]),
      "InvalidThreshold",
    );
    const replacement = [...f.params.trustees];
    replacement[2] = f.outsider.account.address;
    await asCommission.write.restartCeremony([replacement]);
    expect(await f.election.read.ceremonyRound()).to.equal(1);
    const [restarted] = await f.election.getEvents.CeremonyRestarted();
    expect(restarted.args.round).to.equal(1);
    expect(await f.election.read.trusteeIndexOf([f.outsider.account.address])).to.equal(3);
    await expectRevert(
      trustees[2].write.postTrusteeKeys([randomBytes(96), randomBytes(192), randomBytes(32)]),
      "NotTrustee",
    );
    const newSet = [trustees[0], trustees[1], await f.as(f.outsider), trustees[3], trustees[4]];
    for (const t of newSet)
      await t.write.postTrusteeKeys([randomBytes(96), randomBytes(192), randomBytes(32)]);
    for (const t of newSet) await t.write.postShares([randomBytes(256)]);
    const key = randomBytes(32, 0.31);
    await newSet[0].write.confirmJointKey([key]);
    await expectRevert(newSet[1].write.confirmJointKey([randomBytes(32, 0.32)]), "JointKeyMismatch");
    await expectRevert(newSet[1].write.confirmJointKey([zeroHash]), "InvalidJointKey");
    await expectRevert(newSet[0].write.confirmJointKey([key]), "AlreadyPosted");
    for (const t of newSet.slice(1)) await t.write.confirmJointKey([key]);
    expect(await f.election.read.phase()).to.equal(1);
    await expectRevert(asCommission.write.restartCeremony([f.params.trustees]), "WrongPhase");
  });
});

describe("Election: ballots", () => {
  it("records a batch: nullifiers, sequences, count, running hash and events", async () => {
    const f = await loadFixture(votingFixture);
    expect(await f.election.read.phase()).to.equal(2);
    const voters = [newVoter(f), newVoter(f), newVoter(f)];
    const batch = await Promise.all(voters.map((v) => signedBallot(f, v, 1n)));
    await (await f.as(f.relay)).write.castBallots([batch]);
    const events = await f.election.getEvents.BallotCast();
    let running: Hex = zeroHash;
    for (const [i, v] of voters.entries()) {
      running = chainRunning(running, v.nullifier, 1n, keccak256(batch[i].ballot));
      expect(events[i].args.nullifier).to.equal(v.nullifier);
      expect(events[i].args.runningHash).to.equal(running);
      expect(await f.election.read.latestSequence([v.nullifier])).to.equal(1n);
    }
    expect(await f.election.read.runningHash()).to.equal(running);
    expect(await f.election.read.ballotCount()).to.equal(3n);
  });

  it("skips and reports faulty ballots by selector without sinking the batch", async () => {
    const f = await loadFixture(votingFixture);
    const relay = await f.as(f.relay);
    const good = newVoter(f);
    const revoter = newVoter(f);
    await relay.write.castBallots([[await signedBallot(f, revoter, 5n)]]);
    const empty = await signedBallot(f, newVoter(f), 1n, "0x");
    const huge = await signedBallot(f, newVoter(f), 1n, randomBytes(32769));
    const valid = await signedBallot(f, good, 1n);
    const wrongLength = { ...(await signedBallot(f, newVoter(f), 1n)), signature: randomBytes(64) };
    const garbage = { ...(await signedBallot(f, newVoter(f), 1n)), signature: `0x${"00".repeat(65)}` as Hex };
    const highS = await signedBallot(f, newVoter(f), 1n);
    highS.signature = flipToHighS(highS.signature);
    const stale = await signedBallot(f, revoter, 5n);
    const zeroSeq = await signedBallot(f, newVoter(f), 0n);
    const batch = [empty, huge, valid, wrongLength, garbage, highS, stale, zeroSeq];
    const expected = [
      SELECTORS.InvalidBallotSize,
      SELECTORS.InvalidBallotSize,
      null,
      SELECTORS.InvalidBallotSignature,
      SELECTORS.InvalidBallotSignature,
      SELECTORS.InvalidBallotSignature,
      SELECTORS.SequenceNotHigher,
      SELECTORS.SequenceNotHigher,
    ];
    for (const [i, b] of batch.entries()) {
      const [reason] = await f.election.read.checkBallot([b]);
      expect(reason, `position ${i}`).to.equal(expected[i] ?? "0x00000000");
    }
    const before = await f.election.read.runningHash();
    await relay.write.castBallots([batch]);
    const rejected = await f.election.getEvents.BallotRejected();
    expect(rejected.map((r) => Number(r.args.position))).to.deep.equal([0, 1, 3, 4, 5, 6, 7]);
    expect(rejected.map((r) => r.args.reason)).to.deep.equal(expected.filter((e) => e !== null));
    expect(rejected[5].args.nullifier).to.equal(revoter.nullifier);
    const cast = await f.election.getEvents.BallotCast();
    expect(cast).to.have.length(1);
    expect(cast[0].args.nullifier).to.equal(good.nullifier);
    expect(await f.election.read.ballotCount()).to.equal(2n);
    expect(await f.election.read.runningHash()).to.equal(
      chainRunning(before, good.nullifier, 1n, keccak256(valid.ballot)),
    );
    expect(await f.election.read.latestSequence([revoter.nullifier])).to.equal(5n);
  });

  it("keeps state when a whole batch is rejected", async () => {
    const f = await loadFixture(votingFixture);
    const relay = await f.as(f.relay);
    const voter = newVoter(f);
    await relay.write.castBallots([[await signedBallot(f, voter, 1n, randomBytes(100))]]);
    const before = await f.election.read.runningHash();
    const [rejected] = await f.election.getEvents.BallotRejected();
    expect(rejected).to.equal(undefined);
    await relay.write.castBallots([[await signedBallot(f, voter, 1n, randomBytes(100))]]);
    expect(await f.election.read.runningHash()).to.equal(before);
    expect(await f.election.read.ballotCount()).to.equal(1n);
  });

  it("lets the last ballot count under last-ballot-counts, with duplicates inside one batch in order", async () => {
    const f = await loadFixture(votingFixture);
    const relay = await f.as(f.relay);
    const voter = newVoter(f);
    const b1 = await signedBallot(f, voter, 1n);
    const b2 = await signedBallot(f, voter, 2n);
    const b2again = await signedBallot(f, voter, 2n);
    const b4 = await signedBallot(f, voter, 4n);
    await relay.write.castBallots([[b1, b2, b2again, b4]]);
    expect(await f.election.read.latestSequence([voter.nullifier])).to.equal(4n);
    expect(await f.election.read.ballotCount()).to.equal(3n);
    const rejected = await f.election.getEvents.BallotRejected();
    expect(rejected.map((r) => [Number(r.args.position), r.args.reason])).to.deep.equal([
      [2, SELECTORS.SequenceNotHigher],
    ]);
    await relay.write.castBallots([[b1]]);
    expect(await f.election.read.ballotCount()).to.equal(3n);
  });

  it("refuses any second ballot under the none policy", async () => {
    const f = await loadFixture(noRevoteVotingFixture);
    const relay = await f.as(f.relay);
    const voter = newVoter(f);
    await relay.write.castBallots([[await signedBallot(f, voter, 1n)]]);
    const second = await signedBallot(f, voter, 2n);
    expect((await f.election.read.checkBallot([second]))[0]).to.equal(SELECTORS.RevoteNotAllowed);
    await relay.write.castBallots([[second]]);
    const [rejected] = await f.election.getEvents.BallotRejected();
    expect(rejected.args.reason).to.equal(SELECTORS.RevoteNotAllowed);
    expect(await f.election.read.latestSequence([voter.nullifier])).to.equal(1n);
  });

  it("reverts batch-level faults: role, phase, window, empty and oversized batches", async () => {
    const f = await loadFixture(readyFixture);
    const relay = await f.as(f.relay);
    const ballot = await signedBallot(f, newVoter(f), 1n, randomBytes(64));
    await expectRevert(relay.write.castBallots([[ballot]]), "OutsideVotingWindow");
    await openVoting(f);
    await expectRevert(
      (await f.as(f.outsider)).write.castBallots([[ballot]]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(relay.write.castBallots([[]]), "EmptyBatch");
    await expectRevert(relay.write.castBallots([Array(201).fill(ballot)]), "BatchTooLarge");
    await time.increaseTo(f.params.closesAt);
    await expectRevert(relay.write.castBallots([[ballot]]), "OutsideVotingWindow");
    expect(await f.election.read.ballotCount()).to.equal(0n);
    expect(await f.election.read.runningHash()).to.equal(zeroHash);
    const fresh = await deployElectionFixture();
    await expectRevert((await fresh.as(fresh.relay)).write.castBallots([[ballot]]), "WrongPhase");
  });
});

describe("Election: tally, result and attestations", () => {
  async function tallyingFixture() {
    const f = await votingFixture();
    await (await f.as(f.relay)).write.castBallots([[await signedBallot(f, newVoter(f), 1n)]]);
    await time.increaseTo(f.params.closesAt);
    return f;
  }

  it("takes one decryption share per trustee in Tallying and publishes with at least t", async () => {
    const f = await loadFixture(tallyingFixture);
    expect(await f.election.read.phase()).to.equal(3);
    const trustees = await Promise.all(f.trusteeWallets.map((w) => f.as(w)));
    const commission = await f.as(f.commission);
    const aggregateHash = randomBytes(32, 0.61);
    await expectRevert(
      trustees[0].write.postDecryptionShare([zeroHash, randomBytes(96)]),
      "InvalidAggregateHash",
    );
    await expectRevert(
      trustees[0].write.postDecryptionShare([aggregateHash, "0x"]),
      "InvalidDecryptionShare",
    );
    await expectRevert(
      trustees[0].write.postDecryptionShare([aggregateHash, randomBytes(96 * 4096 + 1)]),
      "InvalidDecryptionShare",
    );
    await expectRevert(
      (await f.as(f.outsider)).write.postDecryptionShare([aggregateHash, randomBytes(96)]),
      "NotTrustee",
    );
    const share = randomBytes(96 * 4, 0.62);
    await trustees[0].write.postDecryptionShare([aggregateHash, share]);
    await expectRevert(trustees[0].write.postDecryptionShare([aggregateHash, share]), "AlreadyPosted");
    const [posted] = await f.election.getEvents.DecryptionSharePosted({}, { fromBlock: 0n });
    expect(posted.args.trusteeIndex).to.equal(1);
    expect(posted.args.share).to.equal(share);
    expect(await f.election.read.decryptionShareHash([1])).to.equal(
      keccak256(encodeAbiParameters([{ type: "bytes32" }, { type: "bytes" }], [aggregateHash, share])),
    );
    const result = randomBytes(120, 0.63);
    const resultHash = randomBytes(32, 0.64);
    await expectRevert(commission.write.publishResult([resultHash, result]), "NotEnoughDecryptionShares");
    await trustees[2].write.postDecryptionShare([aggregateHash, share]);
    await trustees[4].write.postDecryptionShare([aggregateHash, share]);
    expect(await f.election.read.decryptionShareCount()).to.equal(3);
    await expectRevert(
      trustees[1].write.publishResult([resultHash, result]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(commission.write.publishResult([zeroHash, result]), "InvalidResult");
    await expectRevert(commission.write.publishResult([resultHash, "0x"]), "InvalidResult");
    const signedBy = (wallet: typeof f.observer, tallyHash: Hex, resultMatches = true) =>
      wallet.signTypedData({
        account: wallet.account,
        domain: ballotDomain(f.chainId, f.election.address),
        types: attestationTypes,
        primaryType: "Attestation",
        message: { election: f.election.address, resultHash, tallyHash, resultMatches },
      });
    const early = randomBytes(32);
    await expectRevert(
      (await f.as(f.observer)).write.attest([resultHash, early, true, await signedBy(f.observer, early)]),
      "WrongPhase",
    );
    await commission.write.publishResult([resultHash, result]);
    expect(await f.election.read.phase()).to.equal(4);
    expect(await f.election.read.resultHash()).to.equal(resultHash);
    const [published] = await f.election.getEvents.ResultPublished({ fromBlock: 0n });
    expect(published.args.result).to.equal(result);
    await expectRevert(trustees[1].write.postDecryptionShare([aggregateHash, share]), "WrongPhase");
    await expectRevert(commission.write.publishResult([resultHash, result]), "WrongPhase");
    const observer = await f.as(f.observer);
    const tallyHash = randomBytes(32, 0.65);
    const signature = await signedBy(f.observer, tallyHash);
    await expectRevert(
      (await f.as(f.outsider)).write.attest([
        resultHash,
        tallyHash,
        true,
        await signedBy(f.outsider, tallyHash),
      ]),
      "AccessControlUnauthorizedAccount",
    );
    // The signature must be the caller's, of exactly these values.
    await expectRevert(
      observer.write.attest([resultHash, tallyHash, true, await signedBy(f.outsider, tallyHash)]),
      "InvalidAttestationSignature",
    );
    await expectRevert(
      observer.write.attest([resultHash, tallyHash, false, signature]),
      "InvalidAttestationSignature",
    );
    await expectRevert(
      observer.write.attest([resultHash, tallyHash, true, "0x1234"]),
      "InvalidAttestationSignature",
    );
    await observer.write.attest([resultHash, tallyHash, true, signature]);
    const [attestation] = await f.election.getEvents.AttestationPosted({}, { fromBlock: 0n });
    expect(attestation.args.observer?.toLowerCase()).to.equal(f.observer.account.address.toLowerCase());
    expect(attestation.args.tallyHash).to.equal(tallyHash);
    expect(attestation.args.resultMatches).to.equal(true);
    expect(attestation.args.signature).to.equal(signature);
    expect(await f.election.read.hasAttested([f.observer.account.address])).to.equal(true);
    await expectRevert(observer.write.attest([resultHash, tallyHash, true, signature]), "AlreadyAttested");
  });

  it("refuses decryption shares before the window closes", async () => {
    const f = await loadFixture(votingFixture);
    await expectRevert(
      (await f.as(f.trusteeWallets[0])).write.postDecryptionShare([randomBytes(32), randomBytes(96)]),
      "WrongPhase",
    );
  });
});

const SECP256K1_N = 0xfffffffffffffffffffffffffffffffebaaedce6af48a03bbfd25e8cd0364141n;
function flipToHighS(signature: Hex): Hex {
  const r = signature.slice(2, 66);
  const s = BigInt(`0x${signature.slice(66, 130)}`);
  const v = parseInt(signature.slice(130, 132), 16);
  const highS = (SECP256K1_N - s).toString(16).padStart(64, "0");
  return `0x${r}${highS}${(v === 27 ? 28 : 27).toString(16)}`;
}

export type { Fixture };
