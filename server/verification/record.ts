import type { Hex } from "viem";
import { ballotHash } from "../protocol/ballot";
import { bytesEqual, hexToBytes } from "../protocol/primitives/bytes";
import type { ElectionRecord, RecordBallot, RecordIssuance, RecordRejection } from "../protocol/record";
import { ZERO_RUNNING_HASH } from "../protocol/running-hash";
import { recoverAttestationSigners } from "./attestations";
import { startInspection, withChecker, type BallotInspection, type CheckerOptions } from "./inspection";
import { summarizeIssuances } from "./issuance";
import { LedgerFold } from "./ledger-fold";
import { inspectCancellations } from "./reconciliation";
import { verifyElection } from "./pipeline";
import type { LedgerBallot, RecordHeader, Verification } from "./report";
import { electionRulesOf, headerOf } from "./rules";

/**
 * The whole verification of an election record: `audit verify` (a folder
 * read offline), every trustee before decrypting and the commission before
 * publishing (the record read from the chain, spooled to a folder). The
 * record comes as a RecordSource whose long lists are streamed: the ballots
 * are read once in chunks and checked on every core (VerifierPool), and each
 * is folded into the ledger fold as its check comes back (ledger-fold.ts),
 * keeping its computed hash; then verifyElection runs exactly as in the
 * observer, and the bytes of the counted ballots are read in a second pass
 * for the aggregate (RunningAggregate, result.ts), each required to hash as
 * in the first. Memory: the fold (a verdict per ballot, an entry per voter,
 * the faulty ballots), 32 bytes per ballot and the journal's keys, never the
 * ballots' bytes (docs/performance.md, "Observer, audit and trustees").
 */
export interface RecordVerificationOptions extends CheckerOptions {
  /** Told about long steps (the trustee and commission tools print it). */
  progress?: (message: string) => void;
  /** Ballots handed to the checker at once (default CHECK_CHUNK); two chunks are with it at a time. */
  chunkBallots?: number;
}

/** The three long lists of a record, or a part of them, in chain order. */
export interface RecordEntries {
  issuances: readonly RecordIssuance[];
  ballots: readonly RecordBallot[];
  rejections: readonly RecordRejection[];
}

/**
 * An election record whose three long lists are streamed, each as often as
 * asked, in chain order: a record folder (audit/record-files.ts
 * openRecordFolder), the chain's record spooled to one (the trustees and
 * the commission), or a record in memory (recordSourceOf).
 */
export interface RecordSource {
  header: RecordHeader;
  /** The number of entries of each list (a folder's streams fail when a file has another number). */
  counts: { issuances: number; ballots: number; rejections: number };
  issuances(): AsyncIterable<RecordIssuance>;
  ballots(): AsyncIterable<RecordBallot>;
  rejections(): AsyncIterable<RecordRejection>;
  /** The bytes of the ballots at these positions of the ballot list, in this order: one more pass. */
  ballotBytesAt(positions: readonly number[]): Iterable<Uint8Array>;
}

async function* itemsOf<T>(items: readonly T[]): AsyncGenerator<T> {
  yield* items;
}

/** A record held in memory as a RecordSource. */
export function recordSourceOf(record: ElectionRecord): RecordSource {
  return {
    header: headerOf(record),
    counts: {
      issuances: record.issuances.length,
      ballots: record.ballots.length,
      rejections: record.rejections.length,
    },
    issuances: () => itemsOf(record.issuances),
    ballots: () => itemsOf(record.ballots),
    rejections: () => itemsOf(record.rejections),
    ballotBytesAt: (positions) => positions.map((p) => hexToBytes(record.ballots[p].ballot)),
  };
}

/**
 * What the verification keeps of a recorded ballot: its event and the
 * inspection of its calldata, without the bytes. Equal strings are kept once
 * (the computed hashes and the signer's nullifier are, for an honest ballot,
 * those of the event), so a ballot costs about 850 bytes of heap (2,560
 * without, on a main-job record: docs/performance.md). The observer's index
 * gives its rows the same form (observer/store.ts).
 */
export function ledgerBallotOf(
  ballot: Pick<RecordBallot, "index" | "nullifier" | "sequence" | "ballotHash" | "runningHash" | "timestamp">,
  inspection: BallotInspection,
): LedgerBallot {
  const { check } = inspection;
  const once = <T extends string | undefined>(value: T, same: string): T =>
    (value === same ? same : value) as T;
  return {
    index: ballot.index,
    nullifier: ballot.nullifier,
    sequence: ballot.sequence,
    ballotHash: ballot.ballotHash,
    runningHash: ballot.runningHash,
    timestamp: ballot.timestamp,
    inspection: {
      computedHash: once(inspection.computedHash, ballot.ballotHash),
      computedRunningHash: once(inspection.computedRunningHash, ballot.runningHash),
      check: check.ok
        ? { ...check, nullifier: once(check.nullifier, ballot.nullifier) }
        : check.nullifier === undefined
          ? check
          : { ...check, nullifier: once(check.nullifier, ballot.nullifier) },
      styleIndex: inspection.styleIndex,
    },
  };
}

/** Ballots handed to the checker at once (progress is reported between chunks). */
const CHECK_CHUNK = 2_000;

/**
 * The position of each ballot index in the ballot list: the index itself for
 * a well-formed record (indices 0, 1, 2, ...); otherwise (V4.1 fails) the
 * last ballot with the index, as a lookup by index finds it.
 */
class IndexPositions {
  private irregular: Map<number, number> | null = null;
  private count = 0;

  add(index: number): void {
    const position = this.count++;
    if (this.irregular === null && index === position) return;
    if (this.irregular === null) {
      this.irregular = new Map();
      for (let p = 0; p < position; p++) this.irregular.set(p, p);
    }
    this.irregular.set(index, position);
  }

  positionOf(index: number): number {
    const position = this.irregular === null ? index : this.irregular.get(index);
    if (position === undefined || position >= this.count) throw new Error(`no recorded ballot ${index}`);
    return position;
  }
}

/** Verifies a record held in memory (tests, `audit combine`, the in-memory readers). */
export function verifyElectionRecord(
  record: ElectionRecord,
  options: RecordVerificationOptions = {},
): Promise<Verification> {
  return verifyRecordSource(recordSourceOf(record), options);
}

/** The one verification over a streamed record (see above). */
export async function verifyRecordSource(
  source: RecordSource,
  options: RecordVerificationOptions = {},
): Promise<Verification> {
  const { header } = source;
  const rules = electionRulesOf(header);
  const chunkBallots = options.chunkBallots ?? CHECK_CHUNK;
  if (!Number.isInteger(chunkBallots) || chunkBallots < 1)
    throw new RangeError(`chunkBallots must be a positive integer, not ${chunkBallots}`);
  const issuance = await summarizeIssuances(source.issuances());
  const total = source.counts.ballots;
  const ledger = new LedgerFold(header.revotePolicy);
  const hashes = new HashColumn(total);
  const positions = new IndexPositions();
  await withChecker(rules, total, options, async (checker, threads) => {
    const started = Date.now();
    if (threads > 0) options.progress?.(`checking ${total} ballots on ${threads} worker threads`);
    // Each chunk is handed to the checker before the one before it is done, so the workers never wait.
    const inFlight: { chunk: RecordBallot[]; inspections: Promise<BallotInspection[]> }[] = [];
    let previous = ZERO_RUNNING_HASH;
    let chunk: RecordBallot[] = [];
    const hand = () => {
      const inspection = startInspection(checker, chunk, previous);
      previous = inspection.lastRunningHash;
      inFlight.push({ chunk, inspections: inspection.inspections });
      chunk = [];
    };
    const keepOldest = async () => {
      const done = inFlight.shift()!;
      const inspections = await done.inspections;
      done.chunk.forEach((ballot, i) => {
        ledger.add(ledgerBallotOf(ballot, inspections[i]));
        hashes.push(inspections[i].computedHash);
      });
      if (total > chunkBallots) {
        const seconds = Math.max((Date.now() - started) / 1000, 0.001);
        options.progress?.(
          `checked ${ledger.size}/${total} ballots (${Math.round(ledger.size / seconds)}/s)`,
        );
      }
    };
    try {
      for await (const ballot of source.ballots()) {
        positions.add(ballot.index);
        chunk.push(ballot);
        if (chunk.length < chunkBallots) continue;
        hand();
        if (inFlight.length > 1) await keepOldest();
      }
      if (chunk.length > 0) hand();
      while (inFlight.length > 0) await keepOldest();
    } finally {
      // Not left unhandled when reading or an earlier chunk failed.
      for (const pending of inFlight) pending.inspections.catch(() => undefined);
    }
  });
  const rejectedByContract = new Map<string, number>();
  for await (const r of source.rejections())
    rejectedByContract.set(r.reason, (rejectedByContract.get(r.reason) ?? 0) + 1);
  return verifyElection(
    {
      header,
      ledger,
      issuance,
      rejectedByContract,
      attestationSigners: await recoverAttestationSigners(header),
      ballotBytes: (indices) => checkedBytes(source, hashes, indices, positions),
      cancellationChecks: await inspectCancellations(rules, header.channels.cancellations),
    },
    { computeTally: true },
  );
}

/**
 * The second pass: the bytes of the given ballots, each required to hash to
 * what the first pass checked (a folder changed in between is refused, never
 * aggregated).
 */
function* checkedBytes(
  source: RecordSource,
  hashes: HashColumn,
  indices: readonly number[],
  positions: IndexPositions,
): Generator<Uint8Array> {
  const at = indices.map((index) => positions.positionOf(index));
  let k = 0;
  for (const bytes of source.ballotBytesAt(at)) {
    const position = at[k++];
    if (!bytesEqual(ballotHash(bytes), hashes.at(position)))
      throw new Error(`ballot ${indices[k - 1]}: its bytes changed between the two reads of the record`);
    yield bytes;
  }
  if (k !== at.length) throw new Error(`the second read of the record gave ${k} of ${at.length} ballots`);
}

/** The computed ballot hash of every position, 32 bytes each in one buffer. */
class HashColumn {
  private bytes: Uint8Array;
  private count = 0;

  constructor(expected: number) {
    this.bytes = new Uint8Array(32 * Math.max(expected, 1));
  }

  push(hash: Hex): void {
    if (32 * (this.count + 1) > this.bytes.length) {
      const grown = new Uint8Array(this.bytes.length * 2);
      grown.set(this.bytes);
      this.bytes = grown;
    }
    this.bytes.set(hexToBytes(hash), 32 * this.count++);
  }

  at(position: number): Uint8Array {
    return this.bytes.subarray(32 * position, 32 * position + 32);
  }
}
