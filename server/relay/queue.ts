import type Database from "better-sqlite3";
import type { Hex } from "viem";
import { sequenceKey, sequenceOfKey, type BallotStatus } from "./store";

/**
 * The relay's ballot queue on top of the store. Every state change is one
 * SQLite transaction; the submitter writes a batch's signed transaction
 * before it broadcasts it, so after a crash the queue knows exactly which
 * transaction may be on chain (see submitter.ts).
 */
export interface NewBallot {
  trackingCode: string;
  ballotHash: Hex;
  nullifier: Hex;
  sequence: bigint;
  ballot: Uint8Array;
  signature: Hex;
  acceptedAt: number;
  receiptSignature: Hex;
}

export interface QueuedBallot {
  id: number;
  ballotHash: Hex;
  nullifier: Hex;
  sequence: bigint;
  ballot: Uint8Array;
  signature: Hex;
}

export interface BallotState {
  trackingCode: string;
  ballotHash: Hex;
  nullifier: Hex;
  sequence: bigint;
  acceptedAt: number;
  receiptSignature: Hex;
  status: BallotStatus;
  transactionHash: Hex | null;
  blockNumber: bigint | null;
  reason: string | null;
}

export interface SentBatch {
  id: number;
  nonce: number;
  transactionHash: Hex;
  rawTransaction: Hex;
  /** The batch's ballots in position order. */
  ballots: QueuedBallot[];
}

export type QueueRefusal = {
  code: "duplicate-ballot" | "revote-not-allowed" | "sequence-not-higher";
  message: string;
  trackingCode?: string;
};

/** What became of one ballot of a mined batch. */
export type BallotSettlement =
  | { id: number; outcome: "on-chain"; transactionHash: Hex; blockNumber: bigint }
  | { id: number; outcome: "rejected"; reason: string }
  | { id: number; outcome: "requeue" };

interface BallotRow {
  id: number;
  tracking_code: string;
  ballot_hash: string;
  nullifier: string;
  sequence: string;
  ballot: Buffer;
  signature: string;
  accepted_at: number;
  receipt_signature: string;
  status: BallotStatus;
  transaction_hash: string | null;
  block_number: string | null;
  reason: string | null;
}

const toQueued = (row: BallotRow): QueuedBallot => ({
  id: row.id,
  ballotHash: row.ballot_hash as Hex,
  nullifier: row.nullifier as Hex,
  sequence: sequenceOfKey(row.sequence),
  ballot: new Uint8Array(row.ballot),
  signature: row.signature as Hex,
});

export class BallotQueue {
  private readonly statements;
  private readonly insertTx;
  private readonly insertManyTx;
  private readonly markSentTx;
  private readonly settleTx;

  constructor(private readonly db: Database.Database) {
    this.statements = {
      live: db.prepare(
        `SELECT tracking_code, ballot_hash, sequence FROM ballots
         WHERE nullifier = ? AND status IN ('queued', 'sent', 'on-chain') ORDER BY sequence DESC`,
      ),
      insert: db.prepare(
        `INSERT INTO ballots (tracking_code, ballot_hash, nullifier, sequence, ballot, signature, accepted_at,
           receipt_signature, status, updated_at)
         VALUES (@trackingCode, @ballotHash, @nullifier, @sequence, @ballot, @signature, @acceptedAt,
           @receiptSignature, 'queued', @now)`,
      ),
      queued: db.prepare(`SELECT * FROM ballots WHERE status = 'queued' ORDER BY id LIMIT ?`),
      oldestQueued: db.prepare(
        `SELECT MIN(accepted_at) AS at, COUNT(*) AS n FROM ballots WHERE status = 'queued'`,
      ),
      insertBatch: db.prepare(
        `INSERT INTO batches (nonce, transaction_hash, raw_transaction, status, created_at) VALUES (?, ?, ?, 'sent', ?)`,
      ),
      markSent: db.prepare(
        `UPDATE ballots SET status = 'sent', batch_id = ?, position = ?, updated_at = ? WHERE id = ? AND status = 'queued'`,
      ),
      sentBatches: db.prepare(`SELECT * FROM batches WHERE status = 'sent' ORDER BY nonce, id`),
      batchBallots: db.prepare(
        `SELECT * FROM ballots WHERE batch_id = ? AND status = 'sent' ORDER BY position`,
      ),
      onChain: db.prepare(
        `UPDATE ballots SET status = 'on-chain', transaction_hash = ?, block_number = ?, reason = NULL, updated_at = ?
         WHERE id = ?`,
      ),
      rejected: db.prepare(`UPDATE ballots SET status = 'rejected', reason = ?, updated_at = ? WHERE id = ?`),
      requeue: db.prepare(
        `UPDATE ballots SET status = 'queued', batch_id = NULL, position = NULL, updated_at = ? WHERE id = ?`,
      ),
      batchDone: db.prepare(`UPDATE batches SET status = ?, block_number = ? WHERE id = ?`),
      byTrackingCode: db.prepare(`SELECT * FROM ballots WHERE tracking_code = ? ORDER BY id DESC LIMIT 1`),
      counts: db.prepare(`SELECT status, COUNT(*) AS n FROM ballots GROUP BY status`),
      rejectQueued: db.prepare(
        `UPDATE ballots SET status = 'rejected', reason = ?, updated_at = ? WHERE status = 'queued'`,
      ),
    };

    this.insertTx = db.transaction((ballot: NewBallot, revotesAllowed: boolean): QueueRefusal | number => {
      const live = this.statements.live.all(ballot.nullifier) as Pick<
        BallotRow,
        "tracking_code" | "ballot_hash" | "sequence"
      >[];
      const key = sequenceKey(ballot.sequence);
      for (const row of live) {
        if (row.ballot_hash === ballot.ballotHash && row.sequence === key)
          return {
            code: "duplicate-ballot",
            message: "this relay already accepted this ballot",
            trackingCode: row.tracking_code,
          };
      }
      if (live.length > 0 && !revotesAllowed)
        return {
          code: "revote-not-allowed",
          message: "this voter has already voted and the election allows no re-vote",
        };
      if (live.length > 0 && live[0].sequence >= key)
        return {
          code: "sequence-not-higher",
          message: `a ballot of this voter with sequence ${sequenceOfKey(live[0].sequence)} is already accepted`,
        };
      const result = this.statements.insert.run({
        ...ballot,
        sequence: key,
        ballot: Buffer.from(ballot.ballot),
        now: Date.now(),
      });
      return Number(result.lastInsertRowid);
    });

    this.insertManyTx = db.transaction(
      (items: readonly { ballot: NewBallot; revotesAllowed: boolean }[]): (QueueRefusal | number)[] =>
        items.map(({ ballot, revotesAllowed }) => this.insertTx(ballot, revotesAllowed)),
    );

    this.markSentTx = db.transaction(
      (ids: readonly number[], tx: { nonce: number; transactionHash: Hex; rawTransaction: Hex }): number => {
        const batchId = Number(
          this.statements.insertBatch.run(tx.nonce, tx.transactionHash, tx.rawTransaction, Date.now())
            .lastInsertRowid,
        );
        const now = Date.now();
        ids.forEach((id, position) => {
          if (this.statements.markSent.run(batchId, position, now, id).changes !== 1)
            throw new Error(`ballot ${id} is no longer queued`);
        });
        return batchId;
      },
    );

    this.settleTx = db.transaction(
      (
        batchId: number | null,
        batchStatus: "mined" | "dropped",
        block: bigint | null,
        settlements: readonly BallotSettlement[],
      ) => {
        const now = Date.now();
        for (const s of settlements) {
          if (s.outcome === "on-chain")
            this.statements.onChain.run(s.transactionHash, s.blockNumber.toString(), now, s.id);
          else if (s.outcome === "rejected") this.statements.rejected.run(s.reason, now, s.id);
          else this.statements.requeue.run(now, s.id);
        }
        if (batchId !== null) this.statements.batchDone.run(batchStatus, block?.toString() ?? null, batchId);
      },
    );
  }

  /** Checks the ballot against this relay's own ballots of the same voter and queues it, atomically. */
  enqueue(
    ballot: NewBallot,
    revotesAllowed: boolean,
  ): { ok: true; id: number } | ({ ok: false } & QueueRefusal) {
    const result = this.insertTx.immediate(ballot, revotesAllowed);
    return typeof result === "number" ? { ok: true, id: result } : { ok: false, ...result };
  }

  /** enqueue for several ballots in one transaction (one fsync); results in order. */
  enqueueMany(
    items: readonly { ballot: NewBallot; revotesAllowed: boolean }[],
  ): ({ ok: true; id: number } | ({ ok: false } & QueueRefusal))[] {
    return this.insertManyTx
      .immediate(items)
      .map((result) =>
        typeof result === "number" ? { ok: true as const, id: result } : { ok: false as const, ...result },
      );
  }

  /** The same check without queuing (before the expensive checks). */
  precheck(nullifier: Hex, sequence: bigint, ballotHash: Hex, revotesAllowed: boolean): QueueRefusal | null {
    const live = this.statements.live.all(nullifier) as Pick<
      BallotRow,
      "tracking_code" | "ballot_hash" | "sequence"
    >[];
    const key = sequenceKey(sequence);
    if (live.some((row) => row.ballot_hash === ballotHash && row.sequence === key))
      return { code: "duplicate-ballot", message: "this relay already accepted this ballot" };
    if (live.length > 0 && !revotesAllowed)
      return {
        code: "revote-not-allowed",
        message: "this voter has already voted and the election allows no re-vote",
      };
    if (live.length > 0 && live[0].sequence >= key)
      return {
        code: "sequence-not-higher",
        message: "a ballot of this voter with an equal or higher sequence is already accepted",
      };
    return null;
  }

  /** Up to `limit` queued ballots, oldest first. */
  queued(limit: number): QueuedBallot[] {
    return (this.statements.queued.all(limit) as BallotRow[]).map(toQueued);
  }

  /** The number of queued ballots and the acceptance time (Unix ms) of the oldest. */
  queueHead(): { count: number; oldestAcceptedAt: number | null } {
    const row = this.statements.oldestQueued.get() as { at: number | null; n: number };
    return { count: row.n, oldestAcceptedAt: row.at };
  }

  /** Records a signed transaction and moves its ballots to `sent`, before it is broadcast. */
  markSent(ids: readonly number[], tx: { nonce: number; transactionHash: Hex; rawTransaction: Hex }): number {
    return this.markSentTx.immediate(ids, tx);
  }

  sentBatches(): SentBatch[] {
    const batches = this.statements.sentBatches.all() as {
      id: number;
      nonce: number;
      transaction_hash: string;
      raw_transaction: string;
    }[];
    return batches.map((b) => ({
      id: b.id,
      nonce: b.nonce,
      transactionHash: b.transaction_hash as Hex,
      rawTransaction: b.raw_transaction as Hex,
      ballots: (this.statements.batchBallots.all(b.id) as BallotRow[]).map(toQueued),
    }));
  }

  /** Applies what the chain did with a batch (or a requeue when it never got there). */
  settle(
    batchId: number | null,
    batchStatus: "mined" | "dropped",
    blockNumber: bigint | null,
    settlements: readonly BallotSettlement[],
  ): void {
    this.settleTx.immediate(batchId, batchStatus, blockNumber, settlements);
  }

  /** Gives up on every queued ballot (the window closed before they could be cast). */
  rejectAllQueued(reason: string): number {
    return this.statements.rejectQueued.run(reason, Date.now()).changes;
  }

  status(trackingCode: string): BallotState | null {
    const row = this.statements.byTrackingCode.get(trackingCode) as BallotRow | undefined;
    if (row === undefined) return null;
    return {
      trackingCode: row.tracking_code,
      ballotHash: row.ballot_hash as Hex,
      nullifier: row.nullifier as Hex,
      sequence: sequenceOfKey(row.sequence),
      acceptedAt: row.accepted_at,
      receiptSignature: row.receipt_signature as Hex,
      status: row.status,
      transactionHash: row.transaction_hash as Hex | null,
      blockNumber: row.block_number === null ? null : BigInt(row.block_number),
      reason: row.reason,
    };
  }

  counts(): Record<BallotStatus, number> {
    const counts: Record<BallotStatus, number> = { queued: 0, sent: 0, "on-chain": 0, rejected: 0 };
    for (const row of this.statements.counts.all() as { status: BallotStatus; n: number }[])
      counts[row.status] = row.n;
    return counts;
  }
}
