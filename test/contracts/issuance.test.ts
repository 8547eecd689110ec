import { expect } from "chai";
import { loadFixture, time } from "@nomicfoundation/hardhat-network-helpers";
import { keccak256, stringToHex, zeroHash, type Hex } from "viem";
import { MAX_ISSUANCE_BATCH } from "../../server/registrar/issuer";
import {
  completeCeremony,
  deployElectionFixture,
  expectRevert,
  modulusLike,
  openVoting,
  precinctFixture,
  setRegistrarKeys,
  type Fixture,
} from "./fixture";

/** The batched issuance journal: recordIssuances (docs/contracts.md, Functions). */

type Entry = { voterIdHash: Hex; style: number; requestHash: Hex };

/** Distinct journal keys and request hashes (fixture's randomBytes repeats across close seeds). */
const entries = (count: number, label: number): Entry[] =>
  Array.from({ length: count }, (_, i) => ({
    voterIdHash: keccak256(stringToHex(`voter ${label} ${i}`)),
    style: i % 2,
    requestHash: keccak256(stringToHex(`request ${label} ${i}`)),
  }));

async function readyFixture() {
  const f = await precinctFixture();
  return { ...f, registrarContract: await f.as(f.registrar) };
}

/** What the journal holds: totals, per-style counts and every CredentialIssued so far. */
async function journalState(f: Fixture) {
  return {
    total: await f.election.read.issuedTotal(),
    counts: [await f.election.read.issuedCount([0]), await f.election.read.issuedCount([1])],
    events: (await f.election.getEvents.CredentialIssued({}, { fromBlock: 0n })).map((e) => e.args),
  };
}

describe("Election: batched issuance journal (recordIssuances)", () => {
  it("journals every entry of a batch with its own event, in order, and counts per style", async () => {
    const f = await loadFixture(readyFixture);
    const batch = entries(7, 0.2);
    const hash = await f.registrarContract.write.recordIssuances([batch]);
    const receipt = await f.publicClient.waitForTransactionReceipt({ hash });
    expect(receipt.status).to.equal("success");
    const events = await f.election.getEvents.CredentialIssued({}, { blockHash: receipt.blockHash });
    expect(events.map((e) => e.args)).to.deep.equal(batch);
    for (const entry of batch) expect(await f.election.read.isIssued([entry.voterIdHash])).to.equal(true);
    expect(await f.election.read.issuedTotal()).to.equal(7n);
    expect(await f.election.read.issuedCount([0])).to.equal(4n);
    expect(await f.election.read.issuedCount([1])).to.equal(3n);

    // The single and the batched entry points feed one journal; a batch of one is allowed.
    const single = entries(1, 0.3)[0];
    await f.registrarContract.write.recordIssuance([single.voterIdHash, single.style, single.requestHash]);
    const [last] = entries(1, 0.4);
    await f.registrarContract.write.recordIssuances([[last]]);
    expect(await f.election.read.issuedTotal()).to.equal(9n);
    const all = await f.election.getEvents.CredentialIssued({}, { fromBlock: 0n });
    expect(all.map((e) => e.args)).to.deep.equal([...batch, single, last]);
  });

  it("accepts a full batch of MAX_ISSUANCE_BATCH and refuses one more, or none", async () => {
    const f = await loadFixture(readyFixture);
    const max = Number(await f.election.read.MAX_ISSUANCE_BATCH());
    expect(max).to.equal(MAX_ISSUANCE_BATCH); // the registrar's bound on its batches (issuer.ts)
    await expectRevert(f.registrarContract.write.recordIssuances([entries(max + 1, 0.5)]), "BatchTooLarge");
    await expectRevert(f.registrarContract.write.recordIssuances([[]]), "EmptyBatch");
    expect(await f.election.read.issuedTotal()).to.equal(0n);
    await f.registrarContract.write.recordIssuances([entries(max, 0.6)]);
    expect(await f.election.read.issuedTotal()).to.equal(BigInt(max));
  });

  it("reverts the whole batch for one bad entry, with that entry's error, and keeps nothing", async () => {
    const f = await loadFixture(readyFixture);
    const earlier = entries(2, 0.7);
    await f.registrarContract.write.recordIssuances([earlier]);
    const paper = keccak256(stringToHex("paper voter"));
    await f.precinct.write.recordPaperBallot([paper, 1]);
    const before = await journalState(f);

    const good = entries(3, 0.8);
    const withEntry = (bad: Partial<Entry>): Entry[] => [
      good[0],
      good[1],
      { ...entries(1, 0.9)[0], ...bad },
      good[2],
    ];
    const cases: [string, Entry[]][] = [
      ["InvalidVoterIdHash", withEntry({ voterIdHash: zeroHash })],
      ["UnknownBallotStyle", withEntry({ style: 2 })],
      ["AlreadyIssued", withEntry({ voterIdHash: earlier[1].voterIdHash })],
      ["AlreadyIssued", [...good, { ...good[1], requestHash: keccak256(stringToHex("second request")) }]], // twice in one batch
      ["PaperBallotAlreadyIssued", withEntry({ voterIdHash: paper, style: 1 })],
    ];
    for (const [error, batch] of cases) {
      await expectRevert(f.registrarContract.write.recordIssuances([batch]), error);
      expect(await journalState(f), error).to.deep.equal(before);
      for (const entry of good) expect(await f.election.read.isIssued([entry.voterIdHash])).to.equal(false);
    }
    // The good entries alone go through.
    await f.registrarContract.write.recordIssuances([good]);
    expect(await f.election.read.issuedTotal()).to.equal(5n);
  });

  it("refuses a batch without the registrar role, while paused, without a key, and outside Ready and Voting", async () => {
    const f = await loadFixture(deployElectionFixture);
    const registrar = await f.as(f.registrar);
    const batch = entries(3, 0.15);
    await expectRevert(registrar.write.recordIssuances([batch]), "WrongPhase"); // KeyCeremony
    await completeCeremony(f);
    await expectRevert(registrar.write.recordIssuances([batch]), "RegistrarKeyMissing");
    await (await f.as(f.registrar)).write.setRegistrarKey([0, modulusLike(256, 0.33)]);
    // Style 0 has its key now, style 1 not yet: an entry of style 1 sinks the batch.
    await expectRevert(registrar.write.recordIssuances([batch]), "RegistrarKeyMissing");
    await setRegistrarKeys(f);
    await expectRevert(
      (await f.as(f.outsider)).write.recordIssuances([batch]),
      "AccessControlUnauthorizedAccount",
    );
    await expectRevert(
      (await f.as(f.relay)).write.recordIssuances([batch]),
      "AccessControlUnauthorizedAccount",
    );
    const commission = await f.as(f.commission);
    await commission.write.pause();
    await expectRevert(registrar.write.recordIssuances([batch]), "EnforcedPause");
    await commission.write.unpause();
    expect(await f.election.read.issuedTotal()).to.equal(0n);

    await openVoting(f); // Voting issues as Ready does
    await registrar.write.recordIssuances([batch.slice(0, 1)]);
    await time.increaseTo(f.params.closesAt);
    await expectRevert(registrar.write.recordIssuances([batch.slice(1)]), "WrongPhase"); // Tallying
    expect(await f.election.read.issuedTotal()).to.equal(1n);
    expect((await f.election.getEvents.CredentialIssued({}, { fromBlock: 0n })).length).to.equal(1);
  });
});
