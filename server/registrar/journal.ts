import Database from "better-sqlite3";
import type { Hex } from "viem";

/**
 * The registrar's local journal of issuances (SQLite, WAL, synchronous FULL),
 * keyed by the journal key voterIdHash (no voter id in clear). An entry is
 * `pending` from just before the recordIssuances transaction holding it is
 * sent until the chain has it, then `recorded` (a batch's entries change
 * state together, in one SQLite transaction). The chain stays authoritative: a pending entry is settled
 * by looking for the CredentialIssued event (see issuer.ts). A refused
 * issuance (simulation failed, or the send failed and the chain has none)
 * leaves no entry.
 */
export type IssuanceState = "pending" | "recorded";

export interface IssuanceEntry {
  voterIdHash: Hex;
  style: number;
  requestHash: Hex;
  state: IssuanceState;
  /** The chain head when the issuance was started: its event cannot be earlier. */
  fromBlock: bigint;
  transactionHash: Hex | null;
  blockNumber: bigint | null;
}

interface Row {
  voter_id_hash: string;
  style: number;
  request_hash: string;
  state: IssuanceState;
  from_block: string;
  transaction_hash: string | null;
  block_number: string | null;
}

const toEntry = (row: Row): IssuanceEntry => ({
  voterIdHash: row.voter_id_hash as Hex,
  style: row.style,
  requestHash: row.request_hash as Hex,
  state: row.state,
  fromBlock: BigInt(row.from_block),
  transactionHash: row.transaction_hash as Hex | null,
  blockNumber: row.block_number === null ? null : BigInt(row.block_number),
});

export class IssuanceJournal {
  private readonly db: Database.Database;

  /** Opens (or creates) the journal; refuses one that belongs to another election. */
  constructor(file: string, election: { chainId: number; election: Hex }) {
    this.db = new Database(file);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("synchronous = FULL");
    this.db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS issuances (
        voter_id_hash TEXT PRIMARY KEY,
        style INTEGER NOT NULL,
        request_hash TEXT NOT NULL,
        state TEXT NOT NULL CHECK (state IN ('pending', 'recorded')),
        from_block TEXT NOT NULL,
        transaction_hash TEXT,
        block_number TEXT,
        created_at INTEGER NOT NULL,
        updated_at INTEGER NOT NULL
      );
    `);
    const owner = `${election.chainId}:${election.election.toLowerCase()}`;
    const stored = this.db.prepare("SELECT value FROM meta WHERE key = 'election'").get() as
      { value: string } | undefined;
    if (stored === undefined)
      this.db.prepare("INSERT INTO meta (key, value) VALUES ('election', ?)").run(owner);
    else if (stored.value !== owner) {
      this.db.close();
      throw new Error(`journal ${file} belongs to election ${stored.value}, not ${owner}`);
    }
  }

  get(voterIdHash: Hex): IssuanceEntry | null {
    const row = this.db.prepare("SELECT * FROM issuances WHERE voter_id_hash = ?").get(voterIdHash) as
      Row | undefined;
    return row === undefined ? null : toEntry(row);
  }

  /** Starts (or restarts, with a new request) a pending issuance; never touches a recorded one. */
  markPending(voterIdHash: Hex, style: number, requestHash: Hex, fromBlock: bigint): void {
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO issuances (voter_id_hash, style, request_hash, state, from_block, created_at, updated_at)
         VALUES (?, ?, ?, 'pending', ?, ?, ?)
         ON CONFLICT (voter_id_hash) DO UPDATE SET style = excluded.style, request_hash = excluded.request_hash,
           from_block = MIN(CAST(issuances.from_block AS INTEGER), CAST(excluded.from_block AS INTEGER)),
           updated_at = excluded.updated_at
         WHERE issuances.state = 'pending'`,
      )
      .run(voterIdHash, style, requestHash, fromBlock.toString(), now, now);
  }

  /** markPending for every entry of a batch, in one SQLite transaction (one fsync). */
  markPendingAll(
    entries: readonly { voterIdHash: Hex; style: number; requestHash: Hex }[],
    fromBlock: bigint,
  ): void {
    this.db.transaction(() => {
      for (const e of entries) this.markPending(e.voterIdHash, e.style, e.requestHash, fromBlock);
    })();
  }

  /** Drops a pending entry of this request (its issuance was refused and is not on chain). */
  forgetPending(voterIdHash: Hex, requestHash: Hex): void {
    this.db
      .prepare("DELETE FROM issuances WHERE voter_id_hash = ? AND request_hash = ? AND state = 'pending'")
      .run(voterIdHash, requestHash);
  }

  /** What the chain recorded (possibly a different request than the one pending). */
  markRecorded(
    voterIdHash: Hex,
    recorded: { style: number; requestHash: Hex; transactionHash: Hex; blockNumber: bigint },
  ): void {
    const now = Date.now();
    this.db
      .prepare(
        `INSERT INTO issuances (voter_id_hash, style, request_hash, state, from_block, transaction_hash, block_number, created_at, updated_at)
         VALUES (@voterIdHash, @style, @requestHash, 'recorded', @block, @tx, @block, @now, @now)
         ON CONFLICT (voter_id_hash) DO UPDATE SET style = excluded.style, request_hash = excluded.request_hash,
           state = 'recorded', transaction_hash = excluded.transaction_hash, block_number = excluded.block_number,
           updated_at = excluded.updated_at`,
      )
      .run({
        voterIdHash,
        style: recorded.style,
        requestHash: recorded.requestHash,
        tx: recorded.transactionHash,
        block: recorded.blockNumber.toString(),
        now,
      });
  }

  /** markRecorded for every entry of a batch, in one SQLite transaction. */
  markRecordedAll(
    entries: readonly {
      voterIdHash: Hex;
      recorded: { style: number; requestHash: Hex; transactionHash: Hex; blockNumber: bigint };
    }[],
  ): void {
    this.db.transaction(() => {
      for (const e of entries) this.markRecorded(e.voterIdHash, e.recorded);
    })();
  }

  counts(): { pending: number; recorded: number } {
    const rows = this.db.prepare("SELECT state, COUNT(*) AS n FROM issuances GROUP BY state").all() as {
      state: IssuanceState;
      n: number;
    }[];
    const counts = { pending: 0, recorded: 0 };
    for (const row of rows) counts[row.state] = row.n;
    return counts;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
