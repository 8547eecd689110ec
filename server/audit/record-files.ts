import fs from "node:fs";
import path from "node:path";
import readline from "node:readline";
import { z } from "zod";
import { fromHex } from "../protocol/primitives/bytes";
import { RECORD_VERSION, type ElectionRecord } from "../protocol/record";

/**
 * The election record as a folder of JSON files (docs/record.md): small parts
 * as JSON documents, the long lists (issuance journal, ballots, rejections) as
 * JSON lines, so a record of millions of ballots is written and read as a
 * stream. Writing goes to a temporary folder renamed into place at the end, so
 * an interrupted export leaves nothing behind; reading validates every file
 * and names the file and line of the first problem.
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

function writeJsonLines(file: string, items: readonly unknown[]): void {
  const fd = fs.openSync(file, "w");
  try {
    for (let i = 0; i < items.length; i += 1000)
      fs.writeSync(
        fd,
        items
          .slice(i, i + 1000)
          .map((item) => `${JSON.stringify(item)}\n`)
          .join(""),
      );
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Writes the record to `dir`, which must not exist or be empty. The files are
 * written to a sibling temporary folder first and renamed into place.
 */
export function writeRecordFolder(dir: string, record: ElectionRecord): void {
  const target = path.resolve(dir);
  if (fs.existsSync(target) && (!fs.statSync(target).isDirectory() || fs.readdirSync(target).length > 0))
    throw new RecordFormatError(`${dir} exists and is not an empty folder`);
  const manifest = fromHex(record.manifest);
  if (manifest === null) throw new RecordFormatError("the record's manifest is not hex");
  const temporary = `${target}.partial-${process.pid}`;
  fs.rmSync(temporary, { recursive: true, force: true });
  fs.mkdirSync(temporary, { recursive: true });
  try {
    const file = (name: string) => path.join(temporary, name);
    writeJson(file(RECORD_FILES.record), {
      version: record.version,
      chainId: record.chainId,
      election: record.election,
      factory: record.factory,
      creationBlock: record.creationBlock,
      throughBlock: record.throughBlock,
      manifestHash: record.manifestHash,
      opensAt: record.opensAt,
      closesAt: record.closesAt,
      revotePolicy: record.revotePolicy,
      threshold: record.threshold,
      trusteeCount: record.trusteeCount,
      ballotStyleCount: record.ballotStyleCount,
      runningHash: record.runningHash,
      ballotCount: record.ballotCount,
      observers: record.observers,
      counts: {
        issuances: record.issuances.length,
        ballots: record.ballots.length,
        rejections: record.rejections.length,
      },
    });
    fs.writeFileSync(file(RECORD_FILES.manifest), manifest);
    writeJson(file(RECORD_FILES.ceremony), record.ceremonyRounds);
    writeJson(file(RECORD_FILES.registrarKeys), record.registrarKeys);
    writeJsonLines(file(RECORD_FILES.issuances), record.issuances);
    writeJsonLines(file(RECORD_FILES.ballots), record.ballots);
    writeJsonLines(file(RECORD_FILES.rejections), record.rejections);
    writeJson(file(RECORD_FILES.decryptionShares), record.decryptionShares);
    writeJson(file(RECORD_FILES.result), record.result);
    writeJson(file(RECORD_FILES.attestations), record.attestations);
    writeJson(file(RECORD_FILES.channels), record.channels);
    if (fs.existsSync(target)) fs.rmdirSync(target);
    fs.renameSync(temporary, target);
  } catch (error) {
    fs.rmSync(temporary, { recursive: true, force: true });
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

async function readJsonLines<T>(
  dir: string,
  name: string,
  schema: z.ZodType<T>,
  expected: number,
): Promise<T[]> {
  const file = path.join(dir, name);
  if (!fs.existsSync(file)) throw new RecordFormatError(`${name} is missing`);
  const lines = readline.createInterface({ input: fs.createReadStream(file), crlfDelay: Infinity });
  const items: T[] = [];
  let number = 0;
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
    items.push(parsed.data);
  }
  if (items.length !== expected)
    throw new RecordFormatError(`${name}: ${items.length} entries, record.json announces ${expected}`);
  return items;
}

/** Reads and validates a record folder; throws RecordFormatError naming the file (and line) at fault. */
export async function readRecordFolder(dir: string): Promise<ElectionRecord> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory())
    throw new RecordFormatError(`${dir} is not a folder`);
  const header = readJson(dir, RECORD_FILES.record, headerSchema);
  const manifestFile = path.join(dir, RECORD_FILES.manifest);
  if (!fs.existsSync(manifestFile)) throw new RecordFormatError(`${RECORD_FILES.manifest} is missing`);
  const { counts, ...fields } = header;
  return {
    ...fields,
    manifest: `0x${fs.readFileSync(manifestFile).toString("hex")}`,
    ceremonyRounds: readJson(dir, RECORD_FILES.ceremony, ceremonySchema),
    registrarKeys: readJson(dir, RECORD_FILES.registrarKeys, registrarKeysSchema),
    issuances: await readJsonLines(dir, RECORD_FILES.issuances, issuanceSchema, counts.issuances),
    ballots: await readJsonLines(dir, RECORD_FILES.ballots, ballotSchema, counts.ballots),
    rejections: await readJsonLines(dir, RECORD_FILES.rejections, rejectionSchema, counts.rejections),
    decryptionShares: readJson(dir, RECORD_FILES.decryptionShares, sharesSchema),
    result: readJson(dir, RECORD_FILES.result, resultSchema),
    attestations: readJson(dir, RECORD_FILES.attestations, attestationsSchema),
    channels: readJson(dir, RECORD_FILES.channels, channelsSchema),
  };
}
