import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { expect } from "chai";
import { keccak256, pad, toHex } from "viem";
import { ObserverStore } from "../../server/observer/store";
import type { RecordBallot, RecordIssuance } from "../../server/protocol/record";
import type { BallotInspection } from "../../server/verification/inspection";
import { summarizeIssuances } from "../../server/verification/issuance";
import type { RecordHeader } from "../../server/verification/report";

/**
 * The observer's index hands out the checked ballots after an index and keeps
 * the issuance journal's counts between verify rounds, reading only the rows
 * added since: what it returns must be what a fresh read of the whole index
 * gives (a store opened anew on the same file), through new ranges, ballots
 * checked out of order, a ballot checked again, and a cleared index; and its
 * generation must change exactly when a ballot it handed out did.
 */
describe("observer: the index read incrementally between rounds", () => {
  let dir: string;
  let store: ObserverStore;
  // The index stores the header as JSON and these tests read no field of it: a partial one will do.
  const header = {
    election: "0x00000000000000000000000000000000000000e1",
    chainId: "1",
    channels: { onlineRoll: [], paperBallots: [], cancellations: [] },
  } as unknown as RecordHeader;
  const word = (tag: string, n: number) => keccak256(toHex(`${tag}-${n}`));

  const ballot = (index: number, voter: number): RecordBallot => ({
    index,
    nullifier: word("nullifier", voter),
    sequence: "1",
    ballotHash: word("ballot", index),
    runningHash: word("running", index),
    ballot: toHex(`ballot bytes ${index}`),
    signature: pad("0x01", { size: 65 }),
    blockNumber: String(10 + index),
    transactionHash: word("tx", index),
    timestamp: 1_000 + index,
  });
  const issuance = (voter: number, style: number, block: number): RecordIssuance => ({
    voterIdHash: word("voter", voter),
    style,
    requestHash: word("request", voter),
    blockNumber: String(block),
    timestamp: 1_000 + block,
  });
  const inspection = (index: number, ok: boolean): BallotInspection => ({
    computedHash: word("ballot", index),
    computedRunningHash: word("running", index),
    check: ok
      ? { ok: true, nullifier: word("nullifier", index), votingAddress: pad("0x0a", { size: 20 }) }
      : { ok: false, code: "invalid-proof", reason: `ballot ${index}: a proof fails` },
    styleIndex: index % 2,
  });
  let lastBlock = 0n;
  const commit = (ballots: RecordBallot[], issuances: RecordIssuance[]) =>
    store.commitRange({
      header,
      lastBlock: ++lastBlock,
      lastBlockTime: Number(lastBlock),
      ballots,
      issuances,
      rejections: [],
      events: [],
    });
  /** What a store with nothing kept reads from the same file. */
  const fresh = async () => {
    const other = ObserverStore.open(dir);
    try {
      return { ballots: [...other.checkedBallots()], issuance: other.issuanceSummary() };
    } finally {
      other.close();
    }
  };
  const expectSameAsFresh = async () => {
    const expected = await fresh();
    expect([...store.checkedBallots()]).to.deep.equal(expected.ballots);
    expect(store.issuanceSummary()).to.deep.equal(expected.issuance);
  };

  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "observer-store-"));
    store = ObserverStore.open(dir);
    store.initialize(header, 0n);
    lastBlock = 0n;
  });
  afterEach(() => {
    store.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("gives the checked ballots after an index; a new generation once a gap before one handed out is filled", async () => {
    commit(
      [0, 1, 2, 3].map((i) => ballot(i, i)),
      [],
    );
    const first = store.checkedGeneration;
    expect([...store.checkedBallots()]).to.deep.equal([]);
    // Checked out of order: 0, 1 and 3 first; 3 is handed out after the gap.
    store.saveInspections([0, 1, 3].map((index) => ({ index, inspection: inspection(index, index !== 1) })));
    expect(store.checkedGeneration, "nothing handed out changed").to.equal(first);
    expect([...store.checkedBallots()].map((b) => b.index)).to.deep.equal([0, 1, 3]);
    expect([...store.checkedBallots(1)].map((b) => b.index)).to.deep.equal([3]);
    await expectSameAsFresh();
    store.saveInspections([{ index: 2, inspection: inspection(2, true) }]);
    expect(store.checkedGeneration, "2 comes before 3, handed out").to.equal(first + 1);
    expect([...store.checkedBallots()].map((b) => b.index)).to.deep.equal([0, 1, 2, 3]);
    await expectSameAsFresh();
    commit(
      [4, 5].map((i) => ballot(i, i - 4)),
      [],
    );
    store.saveInspections([4, 5].map((index) => ({ index, inspection: inspection(index, true) })));
    expect(store.checkedGeneration, "4 and 5 come after every ballot handed out").to.equal(first + 1);
    expect([...store.checkedBallots(3)].map((b) => b.index)).to.deep.equal([4, 5]);
    await expectSameAsFresh();
    expect([...store.checkedBallots()]).to.have.length(6);
  });

  it("starts a new generation when a ballot handed out is checked again", async () => {
    commit(
      [0, 1, 2].map((i) => ballot(i, i)),
      [],
    );
    store.saveInspections([0, 1, 2].map((index) => ({ index, inspection: inspection(index, true) })));
    expect([...store.checkedBallots()][1].inspection.check.ok).to.equal(true);
    const before = store.checkedGeneration;
    store.saveInspections([{ index: 1, inspection: inspection(1, false) }]);
    expect(store.checkedGeneration).to.equal(before + 1);
    expect([...store.checkedBallots()][1].inspection.check).to.deep.include({
      ok: false,
      code: "invalid-proof",
    });
    await expectSameAsFresh();
  });

  it("hands out only the ballots taken: a reader may stop early", () => {
    commit(
      [0, 1, 2].map((i) => ballot(i, i)),
      [],
    );
    store.saveInspections([0, 1, 2].map((index) => ({ index, inspection: inspection(index, true) })));
    const before = store.checkedGeneration;
    for (const first of store.checkedBallots()) {
      expect(first.index).to.equal(0);
      break;
    }
    expect(store.ballotCount(), "the connection is free again").to.equal(3);
    store.saveInspections([{ index: 2, inspection: inspection(2, false) }]);
    expect(store.checkedGeneration, "2 was not taken").to.equal(before);
    store.saveInspections([{ index: 0, inspection: inspection(0, false) }]);
    expect(store.checkedGeneration, "0 was").to.equal(before + 1);
  });

  it("keeps the tracking codes of one base hash on disk, dropped for another base hash and by clear()", () => {
    commit(
      [0, 1, 2].map((i) => ballot(i, i)),
      [],
    );
    const [baseA, baseB] = [word("base", 1), word("base", 2)];
    expect(store.trackingState()).to.deep.equal({ baseHash: null, throughIndex: -1 });
    expect(store.ballotHashesAfter(0, 10).map((b) => b.index)).to.deep.equal([1, 2]);
    store.addTrackingCodes(baseA, [
      { index: 0, code: "AAAA" },
      { index: 1, code: "BBBB" },
    ]);
    store.addTrackingCodes(baseA, [{ index: 2, code: "AAAA" }]);
    expect(store.trackingState()).to.deep.equal({ baseHash: baseA, throughIndex: 2 });
    expect(store.ballotsWithCode("AAAA").map((b) => [b.index, b.ballotHash])).to.deep.equal([
      [0, ballot(0, 0).ballotHash],
      [2, ballot(2, 2).ballotHash],
    ]);
    const reopened = ObserverStore.open(dir);
    expect(
      reopened.ballotsWithCode("BBBB").map((b) => b.index),
      "on disk",
    ).to.deep.equal([1]);
    reopened.close();
    store.addTrackingCodes(baseB, [{ index: 0, code: "CCCC" }]);
    expect(store.trackingState()).to.deep.equal({ baseHash: baseB, throughIndex: 0 });
    expect(store.ballotsWithCode("AAAA")).to.deep.equal([]);
    store.clear();
    expect(store.trackingState()).to.deep.equal({ baseHash: null, throughIndex: -1 });
  });

  it("stores each online roll chunk once, beside a header that does not repeat them", () => {
    const chunk = (style: number, from: number) => ({
      style,
      voterIdHashes: [0, 1, 2].map((i) => word("voter", from + i)),
    });
    const withRoll = (chunks: ReturnType<typeof chunk>[]) => ({
      ...header,
      channels: { ...header.channels, onlineRoll: chunks },
    });
    const commitHeader = (h: RecordHeader) =>
      store.commitRange({
        header: h,
        lastBlock: ++lastBlock,
        lastBlockTime: 0,
        ballots: [],
        issuances: [],
        rejections: [],
        events: [],
      });
    commitHeader(withRoll([chunk(0, 0)]));
    commitHeader(withRoll([chunk(0, 0), chunk(1, 3)]));
    const read = store.header();
    expect(read.channels.onlineRoll).to.deep.equal([chunk(0, 0), chunk(1, 3)]);
    // The caller's array: a fold pushing to it changes nothing stored.
    read.channels.onlineRoll.push(chunk(0, 9));
    expect(store.header().channels.onlineRoll).to.have.length(2);
    const reopened = ObserverStore.open(dir);
    expect(reopened.header().channels.onlineRoll, "as stored").to.deep.equal([chunk(0, 0), chunk(1, 3)]);
    reopened.close();
    expect(() => commitHeader(withRoll([chunk(0, 0)]))).to.throw(/1 online roll chunks after 2/);
    expect(store.header().channels.onlineRoll, "nothing of the refused range").to.have.length(2);
    store.clear();
    store.initialize(header, 0n);
    expect(store.header().channels.onlineRoll).to.deep.equal([]);
  });

  it("counts the journal as audit verify does, duplicates each time in chain order", async () => {
    const journal = [issuance(1, 0, 1), issuance(2, 1, 1), issuance(1, 1, 2)];
    commit([], journal.slice(0, 2));
    expect(store.issuanceSummary().perStyle).to.deep.equal(
      new Map([
        [0, 1],
        [1, 1],
      ]),
    );
    commit([], journal.slice(2));
    // Voter 1 a third time, and voter 3 once.
    const later = [issuance(1, 0, 3), issuance(3, 0, 3)];
    commit([], later);
    const all = [...journal, ...later];
    const summary = store.issuanceSummary();
    expect(summary).to.deep.equal(await summarizeIssuances(all));
    expect(summary.duplicates).to.deep.equal([word("voter", 1), word("voter", 1)]);
    expect(summary.keys.get(word("voter", 1).toLowerCase())).to.deep.equal({ style: 0, blockNumber: "1" });
    await expectSameAsFresh();
  });

  it("forgets what it kept when the index is cleared", async () => {
    commit(
      [0, 1].map((i) => ballot(i, i)),
      [issuance(1, 0, 1)],
    );
    store.saveInspections([0, 1].map((index) => ({ index, inspection: inspection(index, true) })));
    expect([...store.checkedBallots()]).to.have.length(2);
    expect(store.issuanceSummary().keys.size).to.equal(1);
    const before = store.checkedGeneration;
    store.clear();
    expect(store.checkedGeneration).to.equal(before + 1);
    store.initialize(header, 0n);
    expect([...store.checkedBallots()]).to.deep.equal([]);
    expect(store.issuanceSummary().perStyle.size).to.equal(0);
    commit([ballot(0, 7)], [issuance(9, 1, 5)]);
    store.saveInspections([{ index: 0, inspection: inspection(0, true) }]);
    expect([...store.checkedBallots()].map((b) => b.nullifier)).to.deep.equal([word("nullifier", 7)]);
    await expectSameAsFresh();
  });
});
