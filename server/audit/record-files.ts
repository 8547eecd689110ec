import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import type { Address } from "viem";
import { z } from "zod";
import type { ChainPublicClient } from "../chain/deploy";
import { streamElectionRecord, type ReadOptions } from "../chain/election-reader";
import { fromHex } from "../protocol/primitives/bytes";
import {
  RECORD_VERSION,
  type ElectionRecord,
  type RecordBallot,
  type RecordIssuance,
  type RecordRejection,
} from "../protocol/record";
import type { RecordEntries, RecordSource } from "../verification/record";
import type { RecordHeader } from "../verification/report";
import { headerOf } from "../verification/rules";

/**
 * The election record as a folder of JSON files (docs/record.md): small parts
 * as JSON documents, the long lists (issuance journal, ballots, rejections) as
 * JSON lines, so a record of millions of ballots is written and read as a
 * stream: RecordFolderWriter appends the lists as the chain is read, and
 * openRecordFolder reads them line by line, as often as the verification asks
 * (docs/performance.md, "Observer, audit and trustees": memory). Writing goes
 * to a temporary folder renamed into place at the end, so an interrupted
 * export leaves nothing behind; reading validates every file and names the
 * file and line of the first problem.
 */
export const RECORD_FILES = {
  record: "record.json",
  manifest: "manifest.json",
  ceremony: "ceremony.json",
  registrarKeys: "registrar-keys.json",
  issuances: "issuances.jsonl",
  ballots: "ballots.jsonl",
  rejections: "rejections.jsonl",
  decryptionShares: "decryption-shares.json",
  result: "result.json",
  attestations: "attestations.json",
  channels: "channels.json",
} as const;

export class RecordFormatError extends Error {
  override name = "RecordFormatError";
}

// ---------------------------------------------------------------- schemas

const hex = z.string().regex(/^0x([0-9a-fA-F]{2})*$/, "hex bytes (0x...)");
const bytes32 = z.string().regex(/^0x[0-9a-fA-F]{64}$/, "32 bytes of hex");
const address = z.string().regex(/^0x[0-9a-fA-F]{40}$/, "an address") as unknown as z.ZodType<`0x${string}`>;
const decimal = z.string().regex(/^(0|[1-9][0-9]*)$/, "a decimal integer string");
const uint = z.number().int().min(0);
const hexT = hex as unknown as z.ZodType<`0x${string}`>;
const bytes32T = bytes32 as unknown as z.ZodType<`0x${string}`>;

const headerSchema = z.strictObject({
  version: z.literal(RECORD_VERSION),
  chainId: decimal,
  election: address,
  factory: address,
  creationBlock: decimal,
  throughBlock: decimal,
  manifestHash: bytes32T,
  opensAt: uint,
  closesAt: uint,
  revotePolicy: z.enum(["none", "last-ballot-counts"]),
  threshold: uint,
  trusteeCount: uint,
  ballotStyleCount: uint,
  runningHash: bytes32T,
  ballotCount: uint,
  observers: z.array(address),
  counts: z.strictObject({ issuances: uint, ballots: uint, rejections: uint }),
});

const ceremonySchema = z.array(
  z.strictObject({
    round: uint,
    trustees: z.array(address),
    keys: z.array(z.strictObject({ trusteeIndex: uint, commitments: hexT, proofs: hexT, boxKey: bytes32T })),
    shares: z.array(z.strictObject({ trusteeIndex: uint, encryptedShares: hexT })),
    complaints: z.array(z.strictObject({ complainer: uint, accused: uint, evidence: hexT })),
    confirmations: z.array(z.strictObject({ trusteeIndex: uint, jointKey: bytes32T })),
    jointKey: bytes32T.nullable(),
  }),
);

const registrarKeysSchema = z.array(z.strictObject({ style: uint, modulus: hexT }));

const issuanceSchema = z.strictObject({
  voterIdHash: bytes32T,
  style: uint,
  requestHash: bytes32T,
  blockNumber: decimal,
  timestamp: uint,
});

const ballotSchema = z.strictObject({
  index: uint,
  nullifier: bytes32T,
  sequence: decimal,
  ballotHash: bytes32T,
  runningHash: bytes32T,
  ballot: hexT,
  signature: hexT,
  blockNumber: decimal,
  transactionHash: bytes32T,
  timestamp: uint,
});

const rejectionSchema = z.strictObject({
  position: uint,
  nullifier: bytes32T,
  ballotHash: bytes32T,
  reason: z.string().max(200),
  transactionHash: bytes32T,
  blockNumber: decimal,
});

const sharesSchema = z.array(z.strictObject({ trusteeIndex: uint, aggregateHash: bytes32T, share: hexT }));
const resultSchema = z.strictObject({ resultHash: bytes32T, result: z.string() }).nullable();
const attestationsSchema = z.array(
  z.strictObject({
    observer: address,
    resultHash: bytes32T,
    tallyHash: bytes32T,
    resultMatches: z.boolean(),
    signature: hexT,
  }),
);

/** One person, one channel (docs/protocol.md section 11). */
const channelsSchema = z.strictObject({
  onlineRoll: z.array(z.strictObject({ style: uint, voterIdHashes: z.array(bytes32T) })),
  paperBallots: z.array(
    z.strictObject({ voterIdHash: bytes32T, style: uint, precinct: address, blockNumber: decimal }),
  ),
  cancellations: z.array(
    z.strictObject({
      voterIdHash: bytes32T,
      nullifier: bytes32T,
      style: uint,
      credential: hexT,
      signature: hexT,
      blockNumber: decimal,
    }),
  ),
});

// ---------------------------------------------------------------- writing

function writeJson(file: string, value: unknown): void {
  fs.writeFileSync(file, `${JSON.stringify(value, null, 2)}\n`);
}

function appendJsonLines(fd: number, items: readonly unknown[]): void {
  for (let i = 0; i < items.length; i += 1000)
    fs.writeSync(
      fd,
      items
        .slice(i, i + 1000)
        .map((item) => `${JSON.stringify(item)}\n`)
        .join(""),
    );
}

const LIST_NAMES = ["issuances", "ballots", "rejections"] as const;

/**
 * A record folder being written: the three long lists are appended as they
 * are read (add, page by page), the rest of the record at the end (finish),
 * so an export never holds every ballot. Everything goes to a sibling
 * temporary folder, renamed to `dir` by finish; abort (or a failed finish)
 * removes it.
 */
export class RecordFolderWriter {
  private readonly target: string;
  private readonly temporary: string;
  private readonly files: Record<(typeof LIST_NAMES)[number], number>;
  /** The entries written so far to each list. */
  readonly counts = { issuances: 0, ballots: 0, rejections: 0 };

  /** `dir` must not exist or be empty. */
  constructor(dir: string) {
    this.target = path.resolve(dir);
    if (
      fs.existsSync(this.target) &&
      (!fs.statSync(this.target).isDirectory() || fs.readdirSync(this.target).length > 0)
    )
      throw new RecordFormatError(`${dir} exists and is not an empty folder`);
    this.temporary = `${this.target}.partial-${process.pid}`;
    fs.rmSync(this.temporary, { recursive: true, force: true });
    fs.mkdirSync(this.temporary, { recursive: true });
    const open = (name: string) => fs.openSync(path.join(this.temporary, name), "w");
    this.files = {
      issuances: open(RECORD_FILES.issuances),
      ballots: open(RECORD_FILES.ballots),
      rejections: open(RECORD_FILES.rejections),
    };
  }

  /** Appends entries, in chain order, to the three lists. */
  add(entries: RecordEntries): void {
    for (const name of LIST_NAMES) {
      appendJsonLines(this.files[name], entries[name]);
      this.counts[name] += entries[name].length;
    }
  }

  /** Writes the rest of the record and renames the folder into place. */
  finish(header: RecordHeader): void {
    try {
      const manifest = fromHex(header.manifest);
      if (manifest === null) throw new RecordFormatError("the record's manifest is not hex");
      this.closeFiles();
      const file = (name: string) => path.join(this.temporary, name);
      writeJson(file(RECORD_FILES.record), {
        version: header.version,
        chainId: header.chainId,
        election: header.election,
        factory: header.factory,
        creationBlock: header.creationBlock,
        throughBlock: header.throughBlock,
        manifestHash: header.manifestHash,
        opensAt: header.opensAt,
        closesAt: header.closesAt,
        revotePolicy: header.revotePolicy,
        threshold: header.threshold,
        trusteeCount: header.trusteeCount,
        ballotStyleCount: header.ballotStyleCount,
        runningHash: header.runningHash,
        ballotCount: header.ballotCount,
        observers: header.observers,
        counts: this.counts,
      });
      fs.writeFileSync(file(RECORD_FILES.manifest), manifest);
      writeJson(file(RECORD_FILES.ceremony), header.ceremonyRounds);
      writeJson(file(RECORD_FILES.registrarKeys), header.registrarKeys);
      writeJson(file(RECORD_FILES.decryptionShares), header.decryptionShares);
      writeJson(file(RECORD_FILES.result), header.result);
      writeJson(file(RECORD_FILES.attestations), header.attestations);
      writeJson(file(RECORD_FILES.channels), header.channels);
      if (fs.existsSync(this.target)) fs.rmdirSync(this.target);
      fs.renameSync(this.temporary, this.target);
    } catch (error) {
      this.abort();
      throw error;
    }
  }

  /** Removes everything written. */
  abort(): void {
    this.closeFiles();
    fs.rmSync(this.temporary, { recursive: true, force: true });
  }

  private closeFiles(): void {
    for (const name of LIST_NAMES)
      if (this.files[name] >= 0) {
        fs.closeSync(this.files[name]);
        this.files[name] = -1;
      }
  }
}

/**
 * Writes the record to `dir`, which must not exist or be empty. The files are
 * written to a sibling temporary folder first and renamed into place.
 */
export function writeRecordFolder(dir: string, record: ElectionRecord): void {
  const writer = new RecordFolderWriter(dir);
  try {
    writer.add(record);
  } catch (error) {
    writer.abort();
    throw error;
  }
  writer.finish(headerOf(record));
}

/**
 * Reads the election from the chain page by page straight into a new record
 * folder (`audit export`, and the trustees' and the commission's spool):
 * memory holds one page of logs, never the record.
 */
export async function exportElectionRecord(
  client: ChainPublicClient,
  election: Address,
  dir: string,
  options: ReadOptions = {},
): Promise<{ header: RecordHeader; counts: RecordFolderWriter["counts"] }> {
  const writer = new RecordFolderWriter(dir);
  try {
    const header = await streamElectionRecord(client, election, options, (entries) => writer.add(entries));
    writer.finish(header);
    return { header, counts: { ...writer.counts } };
  } catch (error) {
    writer.abort();
    throw error;
  }
}

// ---------------------------------------------------------------- reading

function describe(error: z.ZodError): string {
  const issue = error.issues[0];
  return `${issue.path.length > 0 ? `${issue.path.join(".")}: ` : ""}${issue.message}`;
}

function readJson<T>(dir: string, name: string, schema: z.ZodType<T>): T {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new RecordFormatError(`${name} is missing`);
  let value: unknown;
  try {
    value = JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (error) {
    throw new RecordFormatError(`${name}: not JSON (${(error as Error).message})`);
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new RecordFormatError(`${name}: ${describe(parsed.error)}`);
  return parsed.data;
}

/** The entries of a JSON lines file, validated one by one; then their number against record.json's. */
async function* readJsonLines<T>(
  dir: string,
  name: string,
  schema: z.ZodType<T>,
  expected: number,
): AsyncGenerator<T> {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new RecordFormatError(`${name} is missing`);
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  let number = 0;
  let entries = 0;
  try {
    for await (const line of lines) {
      number++;
      if (line.trim() === "") continue;
      let value: unknown;
      try {
        value = JSON.parse(line);
      } catch {
        throw new RecordFormatError(`${name} line ${number}: not JSON`);
      }
      const parsed = schema.safeParse(value);
      if (!parsed.success) throw new RecordFormatError(`${name} line ${number}: ${describe(parsed.error)}`);
      entries++;
      yield parsed.data;
    }
  } finally {
    lines.close();
  }
  if (entries !== expected)
    throw new RecordFormatError(`${name}: ${entries} entries, record.json announces ${expected}`);
}

/** Bytes read at once by the second pass over ballots.jsonl. */
const READ_BLOCK = 1 << 20;

/**
 * The non-blank lines of a file, read synchronously block by block, split
 * where `readline` splits them (\n, \r\n and a lone \r; a \r\n gives an empty
 * line between, skipped as blank). Each line is valid until the next is asked for.
 */
function* lineRanges(file: string): Generator<{ data: Buffer; start: number; end: number }> {
  const fd = fs.openSync(file, "r");
  try {
    const block = Buffer.allocUnsafe(READ_BLOCK);
    let carry = Buffer.alloc(0);
    for (;;) {
      const read = fs.readSync(fd, block, 0, READ_BLOCK, null);
      const data =
        carry.length === 0 ? block.subarray(0, read) : Buffer.concat([carry, block.subarray(0, read)]);
      let start = 0;
      let cr = data.indexOf(0x0d);
      for (;;) {
        if (cr !== -1 && cr < start) cr = data.indexOf(0x0d, start);
        const nl = data.indexOf(0x0a, start);
        const end = cr !== -1 && (nl === -1 || cr < nl) ? cr : nl;
        if (end === -1) break;
        if (!isBlank(data, start, end)) yield { data, start, end };
        start = end + 1;
      }
      if (read === 0) {
        if (!isBlank(data, start, data.length)) yield { data, start, end: data.length };
        return;
      }
      carry = Buffer.from(data.subarray(start));
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** As `line.trim() === ""` (a JSON object line starts with "{": decoded only otherwise). */
const isBlank = (data: Buffer, start: number, end: number) =>
  start === end || (data[start] !== 0x7b && data.toString("utf8", start, end).trim() === "");

/**
 * A record folder opened for streaming (docs/record.md): the small files are
 * read and validated at once; the three JSON lines files are read line by
 * line each time they are asked for, validated again, and must have the
 * number of entries record.json announces. ballotBytesAt reads ballots.jsonl
 * once more, synchronously, for the bytes of the counted ballots.
 */
export function openRecordFolder(dir: string): RecordSource {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new RecordFormatError(`${dir} is not a folder`);
  const record = readJson(dir, RECORD_FILES.record, headerSchema);
  const manifestFile = path.join(dir, RECORD_FILES.manifest);
  if (!fs.existsSync(manifestFile)) throw new RecordFormatError(`${RECORD_FILES.manifest} is missing`);
  const { counts, ...fields } = record;
  const header: RecordHeader = {
    ...fields,
    manifest: `0x${fs.readFileSync(manifestFile).toString("hex")}`,
    ceremonyRounds: readJson(dir, RECORD_FILES.ceremony, ceremonySchema),
    registrarKeys: readJson(dir, RECORD_FILES.registrarKeys, registrarKeysSchema),
    decryptionShares: readJson(dir, RECORD_FILES.decryptionShares, sharesSchema),
    result: readJson(dir, RECORD_FILES.result, resultSchema),
    attestations: readJson(dir, RECORD_FILES.attestations, attestationsSchema),
    channels: readJson(dir, RECORD_FILES.channels, channelsSchema),
  };
  const ballotsFile = path.join(dir, RECORD_FILES.ballots);
  const changed = (what: string) =>
    new RecordFormatError(`${RECORD_FILES.ballots}: ${what} (the file changed while it was verified)`);
  const bytesOfLine = (
    { data, start, end }: { data: Buffer; start: number; end: number },
    position: number,
  ) => {
    let ballot: unknown;
    try {
      ballot = (JSON.parse(data.toString("utf8", start, end)) as { ballot?: unknown }).ballot;
    } catch {
      throw changed(`entry ${position} is no longer JSON`);
    }
    const bytes = typeof ballot === "string" ? fromHex(ballot) : null;
    if (bytes === null) throw changed(`entry ${position} has no ballot`);
    return bytes;
  };
  return {
    header,
    counts,
    issuances: () =>
      readJsonLines<RecordIssuance>(dir, RECORD_FILES.issuances, issuanceSchema, counts.issuances),
    ballots: () => readJsonLines<RecordBallot>(dir, RECORD_FILES.ballots, ballotSchema, counts.ballots),
    rejections: () =>
      readJsonLines<RecordRejection>(dir, RECORD_FILES.rejections, rejectionSchema, counts.rejections),
    *ballotBytesAt(positions) {
      if (positions.length === 0) return;
      // In ascending order (every well-formed record), the bytes are given as the pass meets them;
      // otherwise (a record whose indices repeat) those asked for are kept until the pass is done.
      const ascending = positions.every((p, i) => i === 0 || p > positions[i - 1]);
      const wanted = ascending ? null : new Set(positions);
      const last = positions.reduce((a, b) => (b > a ? b : a));
      const found = new Map<number, Uint8Array>();
      let next = 0;
      let position = 0;
      for (const line of lineRanges(ballotsFile)) {
        if (ascending && position === positions[next]) {
          yield bytesOfLine(line, position);
          if (++next === positions.length) return;
        } else if (wanted?.has(position)) found.set(position, bytesOfLine(line, position));
        if (position++ === last) break;
      }
      for (const p of positions.slice(next)) {
        const bytes = found.get(p);
        if (bytes === undefined) throw changed(`entry ${p} is gone`);
        yield bytes;
      }
    },
  };
}

/** Collects an async stream. */
async function listOf<T>(items: AsyncIterable<T>): Promise<T[]> {
  const list: T[] = [];
  for await (const item of items) list.push(item);
  return list;
}

/** Reads and validates a whole record folder into memory; throws RecordFormatError naming the file (and line) at fault. */
export async function readRecordFolder(dir: string): Promise<ElectionRecord> {
  const source = openRecordFolder(dir);
  const { header } = source;
  const issuances = await listOf(source.issuances());
  const ballots = await listOf(source.ballots());
  const rejections = await listOf(source.rejections());
  const {
    manifest,
    ceremonyRounds,
    registrarKeys,
    decryptionShares,
    result,
    attestations,
    channels,
    ...fields
  } = header;
  return {
    ...fields,
    manifest,
    ceremonyRounds,
    registrarKeys,
    issuances,
    ballots,
    rejections,
    decryptionShares,
    result,
    attestations,
    channels,
  };
}
