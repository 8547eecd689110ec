import path from "node:path";
import { expect } from "chai";
import type { Hex } from "viem";
import { BallotQueue, type NewBallot } from "../../server/relay/queue";
import { GroupCommit } from "../../server/service/group-commit";
import { openRelayStore, sequenceKey, WalSync } from "../../server/relay/store";
import { tempDir } from "./harness";

const owner = {
  chainId: 31337,
  election: "0x5fbdb2315678afecb367f032d93f642f64180aa3" as Hex,
  relay: "0x70997970c51812dc3a010c7d01b50e0d17dc79c8" as Hex,
};

const ballot = (nullifier: number, sequence: bigint, hash: number): NewBallot => ({
  trackingCode: `CODE-${nullifier}-${sequence}`,
  ballotHash: `0x${hash.toString(16).padStart(64, "0")}`,
  nullifier: `0x${nullifier.toString(16).padStart(64, "0")}`,
  sequence,
  ballot: new Uint8Array([1, 2, 3]),
  signature: `0x${"11".repeat(65)}`,
  acceptedAt: Date.now(),
  receiptSignature: `0x${"22".repeat(65)}`,
});

describe("relay store: queue rules, group commit, WAL fsync", () => {
  it("orders uint64 sequences correctly as text", () => {
    expect(sequenceKey(9n) < sequenceKey(10n)).to.equal(true);
    expect(sequenceKey((1n << 64n) - 1n)).to.equal("18446744073709551615");
    expect(sequenceKey(2n) > sequenceKey(1n)).to.equal(true);
  });

  it("finds the batches left in flight through an index, not a scan of every signed transaction", () => {
    // The query of BallotQueue.sentBatches (server/relay/queue.ts).
    const db = openRelayStore(path.join(tempDir("store-plan"), "q.sqlite"), owner);
    try {
      const plan = db
        .prepare("EXPLAIN QUERY PLAN SELECT * FROM batches WHERE status = 'sent' ORDER BY nonce, id")
        .all() as { detail: string }[];
      expect(plan.map((row) => row.detail)).to.deep.equal(["SCAN batches USING INDEX batches_sent"]);
    } finally {
      db.close();
    }
  });

  it("applies the per-voter rules inside one transaction, in order", () => {
    const dir = tempDir("store");
    const db = openRelayStore(path.join(dir, "q.sqlite"), owner);
    try {
      const queue = new BallotQueue(db);
      const results = queue.enqueueMany([
        { ballot: ballot(1, 1n, 1), revotesAllowed: true },
        { ballot: ballot(1, 1n, 1), revotesAllowed: true },
        { ballot: ballot(1, 1n, 2), revotesAllowed: true },
        { ballot: ballot(1, 2n, 3), revotesAllowed: true },
        { ballot: ballot(2, 1n, 4), revotesAllowed: false },
        { ballot: ballot(2, 2n, 5), revotesAllowed: false },
      ]);
      expect(results.map((r) => (r.ok ? "ok" : r.code))).to.deep.equal([
        "ok",
        "duplicate-ballot",
        "sequence-not-higher",
        "ok",
        "ok",
        "revote-not-allowed",
      ]);
      expect(queue.counts()).to.deep.equal({ queued: 3, sent: 0, "on-chain": 0, rejected: 0 });
      expect(queue.queued(10).map((b) => b.sequence)).to.deep.equal([1n, 2n, 1n]);
      const ids = queue.queued(2).map((b) => b.id);
      const batch = queue.markSent(ids, { nonce: 7, transactionHash: "0xaa", rawTransaction: "0xbb" });
      expect(queue.sentBatches()).to.have.length(1);
      expect(queue.sentBatches()[0].ballots.map((b) => b.id)).to.deep.equal(ids);
      expect(() =>
        queue.markSent(ids, { nonce: 8, transactionHash: "0xcc", rawTransaction: "0xdd" }),
      ).to.throw(/no longer queued/);
      queue.settle(batch, "mined", 5n, [
        { id: ids[0], outcome: "on-chain", transactionHash: "0xaa", blockNumber: 5n },
        { id: ids[1], outcome: "requeue" },
      ]);
      expect(queue.counts()).to.deep.equal({ queued: 2, sent: 0, "on-chain": 1, rejected: 0 });
      expect(queue.status("CODE-1-1")?.status).to.equal("on-chain");
      expect(queue.rejectAllQueued("voting-closed")).to.equal(2);
      expect(queue.status("CODE-2-1")?.reason).to.equal("voting-closed");
    } finally {
      db.close();
    }
  });

  it("refuses a store of another election or relay", () => {
    const file = path.join(tempDir("store"), "q.sqlite");
    openRelayStore(file, owner).close();
    expect(() =>
      openRelayStore(file, { ...owner, relay: "0x3c44cdddb6a900fa2b585dd299e03d12fa4293bc" }),
    ).to.throw(/belongs to/);
  });

  it("groups callers of one event-loop turn into one flush", async () => {
    const flushes: number[][] = [];
    const group = new GroupCommit<number, number>((items) => {
      flushes.push(items);
      return items.map((i) => i * 2);
    });
    const first = await Promise.all([1, 2, 3].map((i) => group.submit(i)));
    const second = await group.submit(4);
    expect(first).to.deep.equal([2, 4, 6]);
    expect(second).to.equal(8);
    expect(flushes).to.deep.equal([[1, 2, 3], [4]]);
  });

  it("coalesces concurrent WAL fsyncs", async () => {
    const file = path.join(tempDir("store"), "q.sqlite");
    const db = openRelayStore(file, owner);
    const wal = await WalSync.open(file);
    try {
      let syncs = 0;
      const handle = (wal as unknown as { handle: { sync(): Promise<void> } }).handle;
      const original = handle.sync.bind(handle);
      handle.sync = async () => {
        syncs++;
        await original();
      };
      await Promise.all(Array.from({ length: 20 }, () => wal.sync()));
      expect(syncs).to.be.within(1, 2);
      await wal.sync();
      expect(syncs).to.be.within(2, 3);
    } finally {
      await wal.close();
      db.close();
    }
  });
});
