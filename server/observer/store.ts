import fs from "node:fs";
import path from "node:path";
import Database from "better-sqlite3";
import type { Hex } from "viem";
import type { BallotInspection, InspectionCheck } from "../verification/inspection";
import { IssuanceJournal } from "../verification/issuance";
import { ledgerBallotOf } from "../verification/record";
import type { IssuanceSummary, LedgerBallot, RecordHeader } from "../verification/report";
import type { Address } from "../protocol/context";
import type { RecordBallot, RecordIssuance, RecordRejection } from "../protocol/record";

/**
 * The observer's own index (SQLite, WAL): the election's header (parameters,
 * ceremony, keys, shares, result, attestations), every event, every ballot
 * with its bytes and the outcome of its checks, the issuance journal, the
 * contract's rejections, and the last block processed. A range of blocks is
 * committed in one transaction with the new last block, so a restart resumes
 * exactly after the last committed range; ballot checks are committed
 * separately and redone for any ballot left unchecked.
 */
export interface StoredEvent {
  blockNumber: bigint;
  logIndex: number;
  transactionHash: Hex;
  name: string;
  args: unknown;
}

export interface RangeCommit {
  header: RecordHeader;
  lastBlock: bigint;
  /** Hash of lastBlock: the index can tell when a reorganisation replaced it. */
  lastBlockHash?: Hex;
  lastBlockTime: number;
  ballots: readonly RecordBallot[];
  issuances: readonly RecordIssuance[];
  rejections: readonly RecordRejection[];
  events: readonly StoredEvent[];
}

type RollChunk = RecordHeader["channels"]["onlineRoll"][number];

/** An indexed ballot as the tracker shows it. */
export interface TrackedBallotRow {
  index: number;
  ballotHash: Hex;
  sequence: string;
  recordedAt: number;
  blockNumber: string;
  transactionHash: Hex;
}

export interface StoredAttestation {
  election: Address;
  resultHash: Hex;
  tallyHash: Hex;
  resultMatches: boolean;
  signer: Address;
  signature: Hex;
  /** The attest() transaction, when posted. */
  transactionHash: Hex | null;
  onChain: "not-posted" | "posted" | "no-observer-role" | "already-attested";
}

const SCHEMA = `
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS events (
  block INTEGER NOT NULL, log_index INTEGER NOT NULL, tx TEXT NOT NULL, name TEXT NOT NULL, args TEXT NOT NULL,
  PRIMARY KEY (block, log_index));
CREATE TABLE IF NOT EXISTS ballots (
  idx INTEGER PRIMARY KEY, nullifier TEXT NOT NULL, sequence TEXT NOT NULL, ballot_hash TEXT NOT NULL,
  running_hash TEXT NOT NULL, ballot BLOB NOT NULL, signature TEXT NOT NULL, block INTEGER NOT NULL,
  tx TEXT NOT NULL, timestamp INTEGER NOT NULL,
  computed_hash TEXT, computed_running_hash TEXT, check_ok INTEGER, check_code TEXT, check_reason TEXT,
  signer_nullifier TEXT, voting_address TEXT, style INTEGER);
CREATE INDEX IF NOT EXISTS ballots_unchecked ON ballots (idx) WHERE check_ok IS NULL;
CREATE TABLE IF NOT EXISTS issuances (
  id INTEGER PRIMARY KEY, voter_id_hash TEXT NOT NULL, style INTEGER NOT NULL, request_hash TEXT NOT NULL,
  block INTEGER NOT NULL, timestamp INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS roll_chunks (position INTEGER PRIMARY KEY, style INTEGER NOT NULL, hashes TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS tracking (idx INTEGER PRIMARY KEY, code TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS tracking_by_code ON tracking (code);
CREATE TABLE IF NOT EXISTS rejections (
  id INTEGER PRIMARY KEY, position INTEGER NOT NULL, nullifier TEXT NOT NULL, ballot_hash TEXT NOT NULL,
  reason TEXT NOT NULL, tx TEXT NOT NULL, block INTEGER NOT NULL);
`;

const json = (value: unknown) => JSON.stringify(value, (_k, v) => (typeof v === "bigint" ? v.toString() : v));

interface BallotRow {
  idx: number;
  nullifier: Hex;
  sequence: string;
  ballot_hash: Hex;
  running_hash: Hex;
  ballot: Buffer;
  signature: Hex;
  block: number;
  tx: Hex;
  timestamp: number;
  computed_hash: Hex | null;
  computed_running_hash: Hex | null;
  check_ok: number | null;
  check_code: string | null;
  check_reason: string | null;
  signer_nullifier: Hex | null;
  voting_address: Address | null;
  style: number | null;
}

export class ObserverStore {
  /**
   * Bumped when a ballot that checkedBallots() has handed out changes: checked
   * again, a gap before it filled, or the index cleared. A fold of the ballots
   * read (the observer's LedgerFold) then starts again; otherwise it reads
   * only the ballots after its last.
   */
  private generation = 0;
  /** The highest index checkedBallots() has handed out in this generation. */
  private handedThrough = -1;
  /** The online roll's chunks as stored (roll_chunks), read at the first header(); null before. */
  private roll: RollChunk[] | null = null;
  /** The issuance journal's counts through row `issuancesRead`: each round reads only the rows added since. */
  private journal = new IssuanceJournal();
  private issuancesRead = 0;

  private constructor(private readonly db: Database.Database) {}

  static open(dataDir: string): ObserverStore {
    fs.mkdirSync(dataDir, { recursive: true });
    const db = new Database(path.join(dataDir, "observer.sqlite"));
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.exec(SCHEMA);
    return new ObserverStore(db);
  }

  close(): void {
    this.db.close();
  }

  private meta(key: string): string | undefined {
    return (this.db.prepare("SELECT value FROM meta WHERE key = ?").get(key) as { value: string } | undefined)
      ?.value;
  }

  private setMeta(key: string, value: string): void {
    this.db
      .prepare(
        "INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      )
      .run(key, value);
  }

  /** The election this index follows, or null for a new index. */
  identity(): { election: Address; chainId: string } | null {
    const election = this.meta("election");
    const chainId = this.meta("chainId");
    return election === undefined || chainId === undefined
      ? null
      : { election: election as Address, chainId };
  }

  /** Starts a new index at the election's header; the first range read is `lastBlock + 1`. */
  initialize(header: RecordHeader, lastBlock: bigint): void {
    this.roll = this.db.transaction(() => {
      this.setMeta("election", header.election.toLowerCase());
      this.setMeta("chainId", header.chainId);
      this.setMeta("lastBlock", lastBlock.toString());
      this.setMeta("lastBlockTime", "0");
      return this.saveHeader(header);
    })();
  }

  /**
   * The header with its online roll: the roll's chunks are read once and kept
   * (V10 needs them each round); the rest is parsed from the stored header.
   * The roll array is the caller's own (a fold may push to it), its chunks
   * shared and never changed.
   */
  header(): RecordHeader {
    const stored = this.meta("header");
    if (stored === undefined) throw new Error("observer index is not initialized");
    const header = JSON.parse(stored) as RecordHeader;
    // An index from before roll_chunks keeps its roll in the header until the next range is committed.
    if (header.channels.onlineRoll.length > 0) return header;
    return { ...header, channels: { ...header.channels, onlineRoll: [...this.rollChunks()] } };
  }

  private rollChunks(): RollChunk[] {
    this.roll ??= (
      this.db.prepare("SELECT style, hashes FROM roll_chunks ORDER BY position").all() as {
        style: number;
        hashes: string;
      }[]
    ).map((row) => ({ style: row.style, voterIdHashes: JSON.parse(row.hashes) as Hex[] }));
    return this.roll;
  }

  /**
   * Stores the header without its online roll, and the roll's chunks not
   * stored yet (each once): the roll grows with the electorate, so it is not
   * written again with every range. The header's roll continues the stored
   * one. Returns the roll now stored, for the caller to keep once its
   * transaction has committed.
   */
  private saveHeader(header: RecordHeader): RollChunk[] {
    const { onlineRoll } = header.channels;
    const roll = this.rollChunks();
    if (onlineRoll.length < roll.length)
      throw new Error(
        `a header with ${onlineRoll.length} online roll chunks after ${roll.length} were indexed`,
      );
    const insert = this.db.prepare("INSERT INTO roll_chunks (position, style, hashes) VALUES (?, ?, ?)");
    for (let position = roll.length; position < onlineRoll.length; position++)
      insert.run(position, onlineRoll[position].style, JSON.stringify(onlineRoll[position].voterIdHashes));
    this.setMeta("header", json({ ...header, channels: { ...header.channels, onlineRoll: [] } }));
    return [...roll, ...onlineRoll.slice(roll.length)];
  }

  lastBlock(): bigint {
    return BigInt(this.meta("lastBlock") ?? "-1");
  }

  /** Hash of the last block committed, or null (none yet, or an index from before hashes were kept). */
  lastBlockHash(): Hex | null {
    return (this.meta("lastBlockHash") as Hex | undefined) ?? null;
  }

  /** Empties the index (after a reorganisation replaced indexed blocks); initialize() starts it again. */
  clear(): void {
    this.db.transaction(() => {
      for (const table of ["events", "ballots", "issuances", "rejections", "roll_chunks", "tracking", "meta"])
        this.db.prepare(`DELETE FROM ${table}`).run();
    })();
    this.startGeneration();
    this.roll = null;
    this.journal = new IssuanceJournal();
    this.issuancesRead = 0;
  }

  lastBlockTime(): number {
    return Number(this.meta("lastBlockTime") ?? "0");
  }

  /** Commits one block range: its entries, the updated header and the new last block, atomically. */
  commitRange(range: RangeCommit): void {
    const insertBallot = this.db.prepare(
      `INSERT INTO ballots (idx, nullifier, sequence, ballot_hash, running_hash, ballot, signature, block, tx, timestamp)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    );
    const insertIssuance = this.db.prepare(
      "INSERT INTO issuances (voter_id_hash, style, request_hash, block, timestamp) VALUES (?, ?, ?, ?, ?)",
    );
    const insertRejection = this.db.prepare(
      "INSERT INTO rejections (position, nullifier, ballot_hash, reason, tx, block) VALUES (?, ?, ?, ?, ?, ?)",
    );
    const insertEvent = this.db.prepare(
      "INSERT OR REPLACE INTO events (block, log_index, tx, name, args) VALUES (?, ?, ?, ?, ?)",
    );
    this.roll = this.db.transaction(() => {
      for (const b of range.ballots)
        insertBallot.run(
          b.index,
          b.nullifier,
          b.sequence,
          b.ballotHash,
          b.runningHash,
          Buffer.from(b.ballot.slice(2), "hex"),
          b.signature,
          Number(b.blockNumber),
          b.transactionHash,
          b.timestamp,
        );
      for (const i of range.issuances)
        insertIssuance.run(i.voterIdHash, i.style, i.requestHash, Number(i.blockNumber), i.timestamp);
      for (const r of range.rejections)
        insertRejection.run(
          r.position,
          r.nullifier,
          r.ballotHash,
          r.reason,
          r.transactionHash,
          Number(r.blockNumber),
        );
      for (const e of range.events)
        insertEvent.run(Number(e.blockNumber), e.logIndex, e.transactionHash, e.name, json(e.args));
      this.setMeta("lastBlock", range.lastBlock.toString());
      if (range.lastBlockHash !== undefined) this.setMeta("lastBlockHash", range.lastBlockHash);
      this.setMeta("lastBlockTime", String(range.lastBlockTime));
      return this.saveHeader(range.header);
    })();
  }

  ballotCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM ballots").get() as { n: number }).n;
  }

  uncheckedCount(): number {
    return (
      this.db.prepare("SELECT COUNT(*) AS n FROM ballots WHERE check_ok IS NULL").get() as { n: number }
    ).n;
  }

  /**
   * The first `limit` ballots not yet checked (after index `after`, if given), in chain order,
   * with their bytes as stored beside the hex.
   */
  unchecked(limit: number, after = -1): (RecordBallot & { bytes: Uint8Array })[] {
    const rows = this.db
      .prepare("SELECT * FROM ballots WHERE check_ok IS NULL AND idx > ? ORDER BY idx LIMIT ?")
      .all(after, limit) as BallotRow[];
    return rows.map((row) => ({ ...recordBallotOf(row), bytes: new Uint8Array(row.ballot) }));
  }

  /** The recomputed running hash after ballot `index`, or null when it is not checked yet. */
  computedRunningHashAt(index: number): Hex | null {
    const row = this.db.prepare("SELECT computed_running_hash AS h FROM ballots WHERE idx = ?").get(index) as
      { h: Hex | null } | undefined;
    return row?.h ?? null;
  }

  saveInspections(items: readonly { index: number; inspection: BallotInspection }[]): void {
    const update = this.db.prepare(
      `UPDATE ballots SET computed_hash = ?, computed_running_hash = ?, check_ok = ?, check_code = ?, check_reason = ?,
       signer_nullifier = ?, voting_address = ?, style = ? WHERE idx = ?`,
    );
    if (items.some(({ index }) => index <= this.handedThrough)) this.startGeneration();
    this.db.transaction(() => {
      for (const { index, inspection } of items) {
        const check = inspection.check;
        update.run(
          inspection.computedHash,
          inspection.computedRunningHash,
          check.ok ? 1 : 0,
          check.ok ? null : check.code,
          check.ok ? null : check.reason,
          check.nullifier ?? null,
          check.votingAddress ?? null,
          inspection.styleIndex,
          index,
        );
      }
    })();
  }

  private startGeneration(): void {
    this.generation++;
    this.handedThrough = -1;
  }

  /** See `generation`: a reader that folded checked ballots of another generation starts again. */
  get checkedGeneration(): number {
    return this.generation;
  }

  /**
   * The checked ballots after index `afterIndex` (all of them by default), in
   * chain order, without their bytes, in the compact form audit verify keeps
   * (equal strings once). They are read as they are taken, one row at a time,
   * and nothing is kept here: a reader folds them as they come.
   */
  *checkedBallots(afterIndex = -1): Generator<LedgerBallot, void, undefined> {
    const rows = this.db
      .prepare(
        `SELECT idx, nullifier, sequence, ballot_hash, running_hash, timestamp, computed_hash, computed_running_hash,
         check_ok, check_code, check_reason, signer_nullifier, voting_address, style
         FROM ballots WHERE check_ok IS NOT NULL AND idx > ? ORDER BY idx`,
      )
      .iterate(afterIndex) as IterableIterator<BallotRow>;
    for (const row of rows) {
      this.handedThrough = Math.max(this.handedThrough, row.idx);
      yield ledgerBallotOf(
        {
          index: row.idx,
          nullifier: row.nullifier,
          sequence: row.sequence,
          ballotHash: row.ballot_hash,
          runningHash: row.running_hash,
          timestamp: row.timestamp,
        },
        {
          computedHash: row.computed_hash!,
          computedRunningHash: row.computed_running_hash!,
          check: checkOf(row),
          styleIndex: row.style,
        },
      );
    }
  }

  /**
   * The tracking codes kept for the dashboard's look-up (protocol.md section
   * 5): the base hash they are of, and the last ballot index with a code (-1
   * for none). A ballot's code never changes while its row does not, and
   * clear() drops them with the rows.
   */
  trackingState(): { baseHash: Hex | null; throughIndex: number } {
    const through = this.db.prepare("SELECT MAX(idx) AS i FROM tracking").get() as { i: number | null };
    return {
      baseHash: (this.meta("trackingBaseHash") as Hex | undefined) ?? null,
      throughIndex: through.i ?? -1,
    };
  }

  /** The indexed ballots after `afterIndex`, at most `limit`, with the hash a tracking code is made of. */
  ballotHashesAfter(afterIndex: number, limit: number): { index: number; ballotHash: Hex }[] {
    return (
      this.db
        .prepare("SELECT idx, ballot_hash FROM ballots WHERE idx > ? ORDER BY idx LIMIT ?")
        .all(afterIndex, limit) as { idx: number; ballot_hash: Hex }[]
    ).map((row) => ({ index: row.idx, ballotHash: row.ballot_hash }));
  }

  /** Stores tracking codes of `baseHash`; codes of another base hash are dropped first. */
  addTrackingCodes(baseHash: Hex, codes: readonly { index: number; code: string }[]): void {
    const insert = this.db.prepare("INSERT OR REPLACE INTO tracking (idx, code) VALUES (?, ?)");
    this.db.transaction(() => {
      if (this.meta("trackingBaseHash") !== baseHash) {
        this.db.prepare("DELETE FROM tracking").run();
        this.setMeta("trackingBaseHash", baseHash);
      }
      for (const { index, code } of codes) insert.run(index, code);
    })();
  }

  /** The indexed ballots with this tracking code, in chain order, with where they were recorded. */
  ballotsWithCode(code: string): TrackedBallotRow[] {
    return (
      this.db
        .prepare(
          `SELECT b.idx, b.ballot_hash, b.sequence, b.timestamp, b.block, b.tx FROM tracking t
           JOIN ballots b ON b.idx = t.idx WHERE t.code = ? ORDER BY b.idx`,
        )
        .all(code) as {
        idx: number;
        ballot_hash: Hex;
        sequence: string;
        timestamp: number;
        block: number;
        tx: Hex;
      }[]
    ).map((row) => ({
      index: row.idx,
      ballotHash: row.ballot_hash,
      sequence: row.sequence,
      recordedAt: row.timestamp,
      blockNumber: String(row.block),
      transactionHash: row.tx,
    }));
  }

  /** The sequence number of the ballot at `index`, or null when it is not in the index. */
  sequenceAt(index: number): string | null {
    const row = this.db.prepare("SELECT sequence FROM ballots WHERE idx = ?").get(index) as
      { sequence: string } | undefined;
    return row?.sequence ?? null;
  }

  *ballotBytes(indices: readonly number[]): Iterable<Uint8Array> {
    const select = this.db.prepare("SELECT ballot FROM ballots WHERE idx = ?");
    for (const index of indices) {
      const row = select.get(index) as { ballot: Buffer } | undefined;
      if (row === undefined) throw new Error(`ballot ${index} is not in the index`);
      yield new Uint8Array(row.ballot);
    }
  }

  recordBallots(): RecordBallot[] {
    return (this.db.prepare("SELECT * FROM ballots ORDER BY idx").all() as BallotRow[]).map(recordBallotOf);
  }

  /**
   * The issuance journal's counts (IssuanceJournal, as audit verify makes
   * them): the rows indexed since the last call are added to those before.
   * The summary returned is valid until the next call.
   */
  issuanceSummary(): IssuanceSummary {
    const rows = this.db
      .prepare("SELECT id, voter_id_hash AS h, style, block FROM issuances WHERE id > ? ORDER BY id")
      .all(this.issuancesRead) as { id: number; h: Hex; style: number; block: number }[];
    for (const row of rows)
      this.journal.add({ voterIdHash: row.h, style: row.style, blockNumber: String(row.block) });
    if (rows.length > 0) this.issuancesRead = rows[rows.length - 1].id;
    return this.journal;
  }

  rejectionsByReason(): Map<string, number> {
    return new Map(
      (
        this.db.prepare("SELECT reason, COUNT(*) AS n FROM rejections GROUP BY reason").all() as {
          reason: string;
          n: number;
        }[]
      ).map((r) => [r.reason, r.n]),
    );
  }

  eventCount(): number {
    return (this.db.prepare("SELECT COUNT(*) AS n FROM events").get() as { n: number }).n;
  }

  /**
   * Turnout over time: per ballot style and time bucket (seconds since the
   * epoch, rounded down to `bucketSeconds`), ballots recorded, voters first
   * seen (distinct nullifiers) and credentials issued.
   */
  timeSeries(bucketSeconds: number): {
    ballots: { style: number | null; bucket: number; n: number }[];
    voters: { style: number | null; bucket: number; n: number }[];
    issued: { style: number; bucket: number; n: number }[];
  } {
    const ballots = this.db
      .prepare(
        "SELECT style, (timestamp / ?) * ? AS bucket, COUNT(*) AS n FROM ballots GROUP BY style, bucket ORDER BY bucket",
      )
      .all(bucketSeconds, bucketSeconds) as { style: number | null; bucket: number; n: number }[];
    const voters = this.db
      .prepare(
        `SELECT style, (first / ?) * ? AS bucket, COUNT(*) AS n FROM
           (SELECT MIN(style) AS style, MIN(timestamp) AS first FROM ballots GROUP BY lower(nullifier))
         GROUP BY style, bucket ORDER BY bucket`,
      )
      .all(bucketSeconds, bucketSeconds) as { style: number | null; bucket: number; n: number }[];
    const issued = this.db
      .prepare(
        "SELECT style, (timestamp / ?) * ? AS bucket, COUNT(*) AS n FROM issuances GROUP BY style, bucket ORDER BY bucket",
      )
      .all(bucketSeconds, bucketSeconds) as { style: number; bucket: number; n: number }[];
    return { ballots, voters, issued };
  }

  attestation(): StoredAttestation | null {
    const value = this.meta("attestation");
    return value === undefined ? null : (JSON.parse(value) as StoredAttestation);
  }

  saveAttestation(attestation: StoredAttestation): void {
    this.setMeta("attestation", json(attestation));
  }
}

function checkOf(row: BallotRow): InspectionCheck {
  if (row.check_ok === 1)
    return { ok: true, nullifier: row.signer_nullifier!, votingAddress: row.voting_address! };
  const check: InspectionCheck = {
    ok: false,
    code: row.check_code as Extract<InspectionCheck, { ok: false }>["code"],
    reason: row.check_reason ?? "",
  };
  if (row.signer_nullifier !== null) check.nullifier = row.signer_nullifier;
  if (row.voting_address !== null) check.votingAddress = row.voting_address;
  return check;
}

function recordBallotOf(row: BallotRow): RecordBallot {
  return {
    index: row.idx,
    nullifier: row.nullifier,
    sequence: row.sequence,
    ballotHash: row.ballot_hash,
    runningHash: row.running_hash,
    ballot: `0x${row.ballot.toString("hex")}`,
    signature: row.signature,
    blockNumber: String(row.block),
    transactionHash: row.tx,
    timestamp: row.timestamp,
  };
}
