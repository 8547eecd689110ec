import fs from "node:fs";
import Database from "better-sqlite3";
import type { Address } from "viem";

/**
 * The relay's durable state, one SQLite file in WAL mode. Commits do not
 * fsync on the event loop (synchronous = NORMAL: a commit survives kill -9);
 * where an answer or a broadcast must survive a power cut too, the caller
 * awaits WalSync.sync(), an fsync of the WAL file on libuv's thread pool
 * (the guarantee of synchronous = FULL without blocking other requests).
 *
 *   ballots     every accepted ballot, from `queued` to `sent` (in a signed
 *               transaction whose raw bytes are stored first) to `on-chain`
 *               or `rejected` (with the contract's reason)
 *   batches     every signed castBallots transaction: nonce, hash, raw bytes
 *   nullifiers  the chain's latest sequence per nullifier, followed from
 *               BallotCast events (see chain-follower.ts)
 *   meta        owner (chain, election, relay account) and the follow cursor
 */
export type BallotStatus = "queued" | "sent" | "on-chain" | "rejected";

export interface RelayOwner {
  chainId: number;
  election: Address;
  relay: Address;
}

export function openRelayStore(file: string, owner: RelayOwner): Database.Database {
  const db = new Database(file);
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("busy_timeout = 5000");
    db.exec(`
      CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
      CREATE TABLE IF NOT EXISTS batches (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        nonce INTEGER NOT NULL,
        transaction_hash TEXT NOT NULL,
        raw_transaction TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('sent', 'mined', 'dropped')),
        block_number TEXT,
        created_at INTEGER NOT NULL
      );
      CREATE TABLE IF NOT EXISTS ballots (
        id INTEGER PRIMARY KEY AUTOINCREMENT,
        tracking_code TEXT NOT NULL,
        ballot_hash TEXT NOT NULL,
        nullifier TEXT NOT NULL,
        sequence TEXT NOT NULL,
        ballot BLOB NOT NULL,
        signature TEXT NOT NULL,
        accepted_at INTEGER NOT NULL,
        receipt_signature TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('queued', 'sent', 'on-chain', 'rejected')),
        batch_id INTEGER REFERENCES batches (id),
        position INTEGER,
        transaction_hash TEXT,
        block_number TEXT,
        reason TEXT,
        updated_at INTEGER NOT NULL
      );
      -- The submitter looks for batches left 'sent' at every turn of its loop: without this index
      -- that scanned every batch's signed transaction (125 ms at 931 batches of 35,000 ballots).
      CREATE INDEX IF NOT EXISTS batches_sent ON batches (nonce, id) WHERE status = 'sent';
      CREATE INDEX IF NOT EXISTS ballots_by_tracking_code ON ballots (tracking_code);
      CREATE INDEX IF NOT EXISTS ballots_by_nullifier ON ballots (nullifier);
      CREATE INDEX IF NOT EXISTS ballots_by_status ON ballots (status, id);
      CREATE INDEX IF NOT EXISTS ballots_by_batch ON ballots (batch_id, position);
      CREATE TABLE IF NOT EXISTS nullifiers (
        nullifier TEXT PRIMARY KEY,
        sequence TEXT NOT NULL,
        ballot_hash TEXT NOT NULL,
        transaction_hash TEXT NOT NULL,
        block_number TEXT NOT NULL
      ) WITHOUT ROWID;
    `);
    const identity = `${owner.chainId}:${owner.election.toLowerCase()}:${owner.relay.toLowerCase()}`;
    const stored = db.prepare("SELECT value FROM meta WHERE key = 'owner'").get() as
      { value: string } | undefined;
    if (stored === undefined) db.prepare("INSERT INTO meta (key, value) VALUES ('owner', ?)").run(identity);
    else if (stored.value !== identity)
      throw new Error(
        `relay store ${file} belongs to ${stored.value} (chain:election:relay), not ${identity}`,
      );
    return db;
  } catch (error) {
    db.close();
    throw error;
  }
}

/** uint64 sequences as fixed-width decimal text, so SQLite compares them correctly. */
export const sequenceKey = (sequence: bigint): string => sequence.toString().padStart(20, "0");
export const sequenceOfKey = (key: string): bigint => BigInt(key);

export function metaValue(db: Database.Database, key: string): string | null {
  const row = db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined;
  return row?.value ?? null;
}

export function setMetaValue(db: Database.Database, key: string, value: string): void {
  db.prepare(
    "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value",
  ).run(key, value);
}

/**
 * fsync of the store's WAL file off the event loop. Calls that arrive while
 * an fsync runs share the next one (it starts after the running one, so it
 * covers their commits); a burst of commits costs two fsyncs, not one each.
 */
export class WalSync {
  private running: Promise<void> | null = null;
  private next: Promise<void> | null = null;

  private constructor(private readonly handle: fs.promises.FileHandle) {}

  /** Opens the `-wal` file of an open WAL-mode store. */
  static async open(dbFile: string): Promise<WalSync> {
    // SQLite creates the -wal file with the first transaction; "a" never writes to it.
    return new WalSync(await fs.promises.open(`${dbFile}-wal`, "a"));
  }

  sync(): Promise<void> {
    if (this.running === null) return (this.running = this.start());
    this.next ??= this.running.then(
      () => this.promote(),
      () => this.promote(),
    );
    return this.next;
  }

  private start(): Promise<void> {
    return this.handle.sync().finally(() => {
      if (this.next === null) this.running = null;
    });
  }

  private promote(): Promise<void> {
    this.next = null;
    this.running = this.start();
    return this.running;
  }

  async close(): Promise<void> {
    await this.running?.catch(() => undefined);
    await this.next?.catch(() => undefined);
    await this.handle.close();
  }
}
