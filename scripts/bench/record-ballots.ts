/**
 * The ballot generator of `npm run bench:record`: N distinct, fully valid
 * ballots, made on one worker thread per core and written to files (one per
 * worker), so that a million of them never sit in one process's memory.
 *
 * Every ballot is a voter of its own: a fresh secp256k1 voting key, its own
 * credential (protocol.md 8: RSABSSA-SHA384-PSS-Randomized over
 * prefix || credentialMessage) and nullifier (keccak256 of election and voting
 * address, protocol.md 9), encrypted afresh with the backend's core (its
 * proofs are bound to the nullifier and the credential, so nothing is reused
 * between ballots) and EIP-712 signed, sequence 1.
 *
 * The credential is made the fast way a benchmark may take because it plays
 * both registrar and voter: RFC 9474's finalized blind signature IS an
 * RSASSA-PSS signature (SHA-384, MGF1-SHA-384, 48-byte salt) over the prepared
 * message (32-byte random prefix || message), so the registrar's key signs the
 * prepared message directly with node:crypto. The recorded bytes are those a
 * blind issuance gives (same prefix length, same signature scheme, a random
 * salt either way); test/bench/record.test.ts checks them with the project's
 * credential check beside the blind path's. The blinding in JavaScript (about
 * 40 ms a voter) is what this skips.
 *
 * File format, one record a ballot: u16 ballot length (big-endian), the
 * ballot bytes, the 65-byte signature.
 */
import crypto from "node:crypto";
import fs from "node:fs";
import { availableParallelism } from "node:os";
import path from "node:path";
import { parentPort, Worker, workerData } from "node:worker_threads";
import { toHex, type Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount } from "viem/accounts";
import { encryptBallot, type BallotCredential } from "../../server/protocol/ballot";
import type { Address, ElectionContext, ElectionLocation } from "../../server/protocol/context";
import { CREDENTIAL_PREFIX_BYTES, credentialMessage } from "../../server/protocol/credential";
import { type RegistrarKeyPair, registrarKeyFromPem } from "../../server/protocol/credential-issuer";
import { ballotDigestBytes, nullifierOf, signBallot } from "../../server/protocol/eip712";
import { nativeSecp256k1 } from "../../server/protocol/primitives/backend";
import { concatBytes, hexToBytes } from "../../server/protocol/primitives/bytes";
import { initCrypto } from "../../server/protocol/primitives/sodium";

/** The generator's one contest: the reference ballot's party list (5 options, choose 1). */
export const CONTEST = "party-list";
export const OPTIONS = 5;
/** Ballot i chooses option WEIGHTED[i % 15] + 1: shares 5 : 4 : 3 : 2 : 1, so every count differs. */
const WEIGHTED = [0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 3, 3, 4];

export const optionOf = (index: number): string => `${CONTEST}-option-${WEIGHTED[index % 15] + 1}`;

/** The counts a correct tally of ballots 0 .. count-1 gives (each voter casts one ballot). */
export function expectedCounts(count: number): Record<string, number> {
  const counts: Record<string, number> = {};
  for (let option = 1; option <= OPTIONS; option++) counts[`${CONTEST}-option-${option}`] = 0;
  for (let i = 0; i < count; i++) counts[optionOf(i)]++;
  return counts;
}

const PSS_SALT_BYTES = 48;

/**
 * The credential of `votingAddress` for `styleIndex`, signed directly with the
 * registrar's key: RSASSA-PSS (SHA-384, MGF1-SHA-384, 48-byte salt) over a
 * random 32-byte prefix || credentialMessage, which is what RFC 9474's
 * Randomized variant finalizes to (protocol.md 8).
 */
export function directCredential(
  registrar: RegistrarKeyPair,
  location: ElectionLocation,
  styleIndex: number,
  votingAddress: Address,
): BallotCredential {
  const messagePrefix = new Uint8Array(crypto.randomBytes(CREDENTIAL_PREFIX_BYTES));
  const prepared = concatBytes(messagePrefix, credentialMessage(location, styleIndex, votingAddress));
  const signature = crypto.sign("sha384", prepared, {
    key: registrar.privateKey,
    padding: crypto.constants.RSA_PKCS1_PSS_PADDING,
    saltLength: PSS_SALT_BYTES,
  });
  return { messagePrefix, signature: new Uint8Array(signature) };
}

export interface GeneratedBallot {
  ballot: Uint8Array;
  signature: Hex;
  votingAddress: Address;
}

/** Ballot `index`: a fresh voter, a direct credential, encrypted and signed (sequence 1). */
export async function generateBallot(
  context: ElectionContext,
  registrar: RegistrarKeyPair,
  styleIndex: number,
  index: number,
): Promise<GeneratedBallot> {
  const privateKey = generatePrivateKey();
  const account = privateKeyToAccount(privateKey);
  const credential = directCredential(registrar, context, styleIndex, account.address);
  const { bytes } = encryptBallot(
    context,
    styleIndex,
    { [CONTEST]: [optionOf(index)] },
    nullifierOf(context.election, account.address),
    credential,
  );
  const native = nativeSecp256k1();
  const signature =
    native === null
      ? await signBallot(account, context, bytes, 1n)
      : toHex(native.signDigest(hexToBytes(privateKey), ballotDigestBytes(context, bytes, 1n)));
  return { ballot: bytes, signature, votingAddress: account.address };
}

const SIGNATURE_BYTES = 65;

export interface BallotFileInput {
  context: ElectionContext;
  registrarPem: string;
  styleIndex: number;
  /** Index of the first ballot (choices follow the index). */
  first: number;
  count: number;
  file: string;
}

async function writeBallotFile(input: BallotFileInput, progress: (made: number) => void): Promise<void> {
  await initCrypto();
  const registrar = registrarKeyFromPem(input.registrarPem);
  const fd = fs.openSync(input.file, "w");
  try {
    let chunk: Buffer[] = [];
    let chunkBytes = 0;
    for (let i = 0; i < input.count; i++) {
      // The native core's results are freed by finalizers that run only when the event loop turns;
      // this loop never waits on I/O, so without a turn they pile up (about 24 KB a ballot).
      if (i % 100 === 99) await new Promise((resolve) => setImmediate(resolve));
      const made = await generateBallot(input.context, registrar, input.styleIndex, input.first + i);
      const record = Buffer.alloc(2 + made.ballot.length + SIGNATURE_BYTES);
      record.writeUInt16BE(made.ballot.length, 0);
      record.set(made.ballot, 2);
      record.set(hexToBytes(made.signature), 2 + made.ballot.length);
      chunk.push(record);
      chunkBytes += record.length;
      if (chunkBytes >= 1 << 22 || i === input.count - 1) {
        fs.writeSync(fd, Buffer.concat(chunk));
        chunk = [];
        chunkBytes = 0;
        progress(i + 1);
      }
    }
  } finally {
    fs.closeSync(fd);
  }
}

/** Reads a ballot file back, `size` ballots at a time (sequence 1 each). */
export function* readBallotFile(
  file: string,
  size: number,
): Generator<{ ballot: Hex; sequence: bigint; signature: Hex }[]> {
  const fd = fs.openSync(file, "r");
  try {
    let buffer = Buffer.alloc(0);
    let batch: { ballot: Hex; sequence: bigint; signature: Hex }[] = [];
    const block = Buffer.alloc(1 << 22);
    for (;;) {
      const read = fs.readSync(fd, block, 0, block.length, null);
      if (read > 0) buffer = Buffer.concat([buffer, block.subarray(0, read)]);
      let at = 0;
      while (buffer.length - at >= 2) {
        const length = buffer.readUInt16BE(at);
        if (buffer.length - at < 2 + length + SIGNATURE_BYTES) break;
        batch.push({
          ballot: toHex(buffer.subarray(at + 2, at + 2 + length)),
          sequence: 1n,
          signature: toHex(buffer.subarray(at + 2 + length, at + 2 + length + SIGNATURE_BYTES)),
        });
        at += 2 + length + SIGNATURE_BYTES;
        if (batch.length === size) {
          yield batch;
          batch = [];
        }
      }
      buffer = buffer.subarray(at);
      if (read === 0) break;
    }
    if (buffer.length > 0) throw new Error(`${file} ends inside a ballot`);
    if (batch.length > 0) yield batch;
  } finally {
    fs.closeSync(fd);
  }
}

/**
 * Makes `count` ballots on `threads` worker threads (default one per core),
 * worker w writing `${prefix}-w.bin`; `progress` gets the total made so far.
 */
export function generateBallotFiles(
  input: Omit<BallotFileInput, "first" | "count" | "file">,
  count: number,
  prefix: string,
  options: { threads?: number; progress?: (made: number) => void } = {},
): Promise<string[]> {
  const workers = Math.max(1, Math.min(options.threads ?? availableParallelism(), count));
  const share = (i: number) => Math.floor(count / workers) + (i < count % workers ? 1 : 0);
  const bootstrap = `require(${JSON.stringify(require.resolve("tsx/cjs"))}); require(${JSON.stringify(path.join(__dirname, "record-ballots.ts"))});`;
  const made = new Array<number>(workers).fill(0);
  let first = 0;
  return Promise.all(
    Array.from({ length: workers }, (_, i) => {
      const part: BallotFileInput = { ...input, first, count: share(i), file: `${prefix}-${i}.bin` };
      first += part.count;
      return new Promise<string>((resolve, reject) => {
        const worker = new Worker(bootstrap, { eval: true, workerData: part });
        worker.on("message", (m: { made?: number; done?: true; error?: string }) => {
          if (m.made !== undefined) {
            made[i] = m.made;
            options.progress?.(made.reduce((a, b) => a + b, 0));
          } else if (m.done) {
            void worker.terminate();
            resolve(part.file);
          } else {
            void worker.terminate();
            reject(new Error(m.error));
          }
        });
        worker.once("error", reject);
      });
    }),
  );
}

if (parentPort !== null && (workerData as BallotFileInput | null)?.file !== undefined) {
  const port = parentPort;
  writeBallotFile(workerData as BallotFileInput, (made) => port.postMessage({ made })).then(
    () => port.postMessage({ done: true }),
    (error: unknown) => port.postMessage({ error: String(error instanceof Error ? error.stack : error) }),
  );
}
