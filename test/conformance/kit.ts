import { createHash } from "node:crypto";
import { keccak256, type Hex } from "viem";
import { privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import {
  ballotHash,
  encryptBallot,
  seededNonceSource,
  trackingCode,
  type BallotChoices,
  type BallotCredential,
  type EncryptedBallot,
} from "../../server/protocol/ballot";
import { canonicalJson } from "../../server/protocol/canonical-json";
import {
  complaintEvidence,
  dealShares,
  encodeTrusteeKeys,
  evaluatePolynomial,
  generateTrusteeSecret,
  jointPublicKey,
  shareRecipients,
  trusteePublicKeys,
  type TrusteePublicKeys,
  type TrusteeSecret,
} from "../../server/protocol/ceremony";
import {
  ceremonyBaseHash,
  electionContext,
  type Address,
  type ElectionContext,
} from "../../server/protocol/context";
import { credentialMessage } from "../../server/protocol/credential";
import { nullifierOf, recoverBallotSigner, signBallot } from "../../server/protocol/eip712";
import { signAttestation } from "../../server/protocol/attestation";
import { manifestBytes, manifestHash, type Manifest } from "../../server/protocol/manifest";
import { concatBytes, hexToBytes, toHex, utf8 } from "../../server/protocol/primitives/bytes";
import { scalarAdd, scalarFromInt, type Scalar } from "../../server/protocol/primitives/group";
import { encryptShare } from "../../server/protocol/primitives/share-encryption";
import type { ElectionRecord, RecordAttestation, RecordBallot } from "../../server/protocol/record";
import { nextRunningHash, ZERO_RUNNING_HASH } from "../../server/protocol/running-hash";
import {
  aggregateBallots,
  aggregateHash,
  computeTally,
  createDecryptionShare,
  type Aggregate,
  type DecryptionShare,
} from "../../server/protocol/tally";
import { canonicalTally, encodeTally, tallyHash } from "../../server/protocol/tally-hash";
import type { CheckNumber, FindingCode } from "../../server/verification/findings";
import type { Verdict } from "../../server/verification/report";
import rfc9474 from "../vectors/rfc9474.json";

/**
 * The conformance kit (docs/record.md, "Conformance kit"): small election
 * records built deterministically from fixed seeds, without a chain, each
 * with the verdict, findings and tally hash a verifier must reach. The
 * records are what a chain would hold: every event a contract would emit,
 * every byte a trustee, voter, registrar or observer would post; the faulty
 * ones plant one fault each where only the record (not the contract) can
 * show it. The expectations come from the construction (which ballots are
 * counted, which shares are posted, which fault is planted), not from
 * running the verifier.
 *
 * Everything random comes from seededNonceSource (protocol.md 5.4) or from
 * keccak256 of a seed string; credentials are RSASSA-PSS signatures with the
 * RFC 9474 test key and a salt derived from the seed (the blind signature
 * protocol gives exactly such a signature); ECDSA signatures are RFC 6979
 * deterministic. The generator (scripts/conformance.ts) writes the cases to
 * test/conformance/<name>/; test/conformance/conformance.test.ts rebuilds
 * them and requires the same bytes.
 */
export const CHAIN_ID = 31337n;
export const ELECTION: Address = "0xc0ffee000000000000000000000000000000e1ec";
export const FACTORY: Address = "0x00000000000000000000000000000000000fac70";

export interface ExpectedFinding {
  check: CheckNumber;
  code: FindingCode;
  severity: "fault" | "warning";
  subject: string;
}

export interface Expected {
  name: string;
  description: string;
  verdict: Verdict;
  /** `audit verify` exit code: 0 holds, 1 holds with warnings, 4 fails. */
  exitCode: 0 | 1 | 4;
  /** In the order the checks run (docs/protocol.md section 10). */
  findings: ExpectedFinding[];
  ballots: { recorded: number; counted: number; superseded: number; excluded: Record<string, number> };
  tallyHash: Hex | null;
  tallyBytes: string | null;
}

export interface ConformanceCase {
  expected: Expected;
  record: ElectionRecord;
}

// ---------------------------------------------------------------- deterministic sources

const seedHash = (seed: string): Hex => keccak256(utf8(seed));
const seedBytes = (seed: string, length: number): Uint8Array => {
  const out = new Uint8Array(length);
  for (let i = 0; i * 32 < length; i++)
    out.set(hexToBytes(seedHash(`${seed}/${i}`)).subarray(0, length - i * 32), i * 32);
  return out;
};
const accountOf = (seed: string): PrivateKeyAccount => privateKeyToAccount(seedHash(`account/${seed}`));

// ---------------------------------------------------------------- registrar (RFC 9474 test key)

const RSA_N = BigInt(`0x${rfc9474.n}`);
const RSA_D = BigInt(`0x${rfc9474.d}`);
const RSA_BYTES = 512;
export const REGISTRAR_MODULUS: Hex = `0x${rfc9474.n}`;

const sha384 = (...parts: Uint8Array[]) => {
  const hash = createHash("sha384");
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
};

function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  let result = 1n;
  let b = base % modulus;
  for (let e = exponent; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % modulus;
    b = (b * b) % modulus;
  }
  return result;
}

const toBigint = (bytes: Uint8Array) => BigInt(`0x${Buffer.from(bytes).toString("hex") || "0"}`);
const toFixedBytes = (value: bigint, length: number) =>
  Uint8Array.from(Buffer.from(value.toString(16).padStart(length * 2, "0"), "hex"));

/** RSASSA-PSS (RFC 8017 9.1, SHA-384, MGF1-SHA-384, 48-byte salt) with a given salt. */
function pssSign(message: Uint8Array, salt: Uint8Array): Uint8Array {
  const hLen = 48;
  const emLen = RSA_BYTES; // modBits = 4096, emBits = 4095
  const mHash = sha384(message);
  const h = sha384(new Uint8Array(8), mHash, salt);
  const db = new Uint8Array(emLen - hLen - 1);
  db[emLen - salt.length - hLen - 2] = 0x01;
  db.set(salt, emLen - salt.length - hLen - 1);
  const mask = new Uint8Array(db.length);
  for (let counter = 0, at = 0; at < mask.length; counter++, at += hLen) {
    const c = new Uint8Array(4);
    new DataView(c.buffer).setUint32(0, counter);
    mask.set(sha384(h, c).subarray(0, Math.min(hLen, mask.length - at)), at);
  }
  for (let i = 0; i < db.length; i++) db[i] ^= mask[i];
  db[0] &= 0x7f;
  const em = concatBytes(db, h, Uint8Array.of(0xbc));
  return toFixedBytes(modPow(toBigint(em), RSA_D, RSA_N), RSA_BYTES);
}

function credentialFor(
  location: { chainId: bigint; election: Address },
  style: number,
  voter: Address,
  seed: string,
): BallotCredential {
  const messagePrefix = seedBytes(`prefix/${seed}`, 32);
  const signature = pssSign(
    concatBytes(messagePrefix, credentialMessage(location, style, voter)),
    seedBytes(`salt/${seed}`, 48),
  );
  return { messagePrefix, signature };
}

// ---------------------------------------------------------------- manifest

export function conformanceManifest(overrides: Partial<Manifest> = {}): Manifest {
  return {
    version: 1,
    electionId: "conformance",
    title: { en: "Conformance election" },
    contests: [
      {
        id: "mayor",
        title: { en: "Mayor" },
        minSelections: 1,
        maxSelections: 1,
        options: [
          { id: "ada", title: { en: "Ada" } },
          { id: "bob", title: { en: "Bob" } },
          { id: "cyd", title: { en: "Cyd" } },
        ],
      },
      {
        id: "council",
        title: { en: "Council" },
        minSelections: 0,
        maxSelections: 2,
        options: [
          { id: "dee", title: { en: "Dee" } },
          { id: "eve", title: { en: "Eve" } },
          { id: "fay", title: { en: "Fay" } },
        ],
      },
    ],
    ballotStyles: [
      { id: "north", title: { en: "North" }, contests: ["mayor", "council"] },
      { id: "south", title: { en: "South" }, contests: ["mayor"] },
    ],
    votingWindow: { opensAt: 1_900_000_000, closesAt: 1_900_086_400 },
    revotePolicy: "last-ballot-counts",
    trustees: { count: 3, threshold: 2 },
    ...overrides,
  } as Manifest;
}

// ---------------------------------------------------------------- the builder

interface Trustee {
  account: PrivateKeyAccount;
  secret: TrusteeSecret;
  keys: TrusteePublicKeys;
}

export type BallotTamper =
  /** The calldata bytes differ from what the contract hashed (one bit flipped after recording). */
  | "bytes-mismatch"
  /** Changed after signing: the contract recovers another signer and records its nullifier. */
  | "changed-unsigned"
  /** A credential issued to another voting address. */
  | "forged-credential"
  /** A proof scalar changed, then signed properly. */
  | "bad-proof"
  /** The style index set to a style the manifest does not have, then signed. */
  | "unknown-style"
  /** Truncated by one byte, then signed. */
  | "truncated"
  /** v = 29: no signer. */
  | "invalid-signature"
  /** The event's nullifier is not the signer's. */
  | "nullifier-mismatch";

interface CastOptions {
  sequence?: bigint;
  tamper?: BallotTamper;
  /** Not journaled: the registrar signed without recording the issuance. */
  unjournaled?: boolean;
}

interface PlannedBallot {
  record: RecordBallot;
  encrypted: EncryptedBallot | null;
  style: number;
  /** The verdict by construction. */
  status: "counted" | "superseded" | "excluded";
  code?: string;
}

export class RecordBuilder {
  readonly location = { chainId: CHAIN_ID, election: ELECTION };
  manifest: Manifest;
  context!: ElectionContext;
  private block = 1;
  private readonly record: ElectionRecord;
  private finalTrustees: Trustee[] = [];
  readonly ballots: PlannedBallot[] = [];
  private readonly voterStyles = new Map<string, number>();
  private readonly findings: ExpectedFinding[] = [];
  private aggregate: Aggregate | null = null;
  private ownResult: ReturnType<typeof computeTally> | null = null;
  /** The honest shares of every trustee that decrypted (what the commission combines). */
  private honestShares: DecryptionShare[] = [];
  private ledgerClosed = false;

  constructor(
    readonly seed: string,
    manifest: Manifest = conformanceManifest(),
  ) {
    this.manifest = manifest;
    const bytes = manifestBytes(manifest);
    this.record = {
      version: 1,
      chainId: CHAIN_ID.toString(),
      election: ELECTION,
      factory: FACTORY,
      creationBlock: "1",
      manifest: toHex(bytes),
      manifestHash: toHex(manifestHash(manifest)),
      opensAt: manifest.votingWindow.opensAt,
      closesAt: manifest.votingWindow.closesAt,
      revotePolicy: manifest.revotePolicy,
      threshold: manifest.trustees.threshold,
      trusteeCount: manifest.trustees.count,
      ballotStyleCount: manifest.ballotStyles.length,
      ceremonyRounds: [],
      registrarKeys: manifest.ballotStyles.map((_, style) => ({ style, modulus: REGISTRAR_MODULUS })),
      issuances: [],
      channels: { onlineRoll: [], paperBallots: [], cancellations: [] },
      ballots: [],
      rejections: [],
      runningHash: ZERO_RUNNING_HASH,
      ballotCount: 0,
      decryptionShares: [],
      result: null,
      attestations: [],
      observers: [],
      throughBlock: "1",
    };
  }

  private nextBlock(): { blockNumber: string; timestamp: number; transactionHash: Hex } {
    this.block++;
    return {
      blockNumber: String(this.block),
      timestamp: this.manifest.votingWindow.opensAt + this.block * 12,
      transactionHash: seedHash(`${this.seed}/tx/${this.block}`),
    };
  }

  expect(
    check: CheckNumber,
    code: FindingCode,
    subject: string,
    severity: "fault" | "warning" = WARNING_CODES.has(code) ? "warning" : "fault",
  ): this {
    this.findings.push({ check, code, severity, subject });
    return this;
  }

  /**
   * One ceremony round. `cheater` deals a wrong share to `victim`, who complains (the round is
   * disputed and publishes no joint key); `absentDealer` never posts its shares (no joint key).
   */
  ceremonyRound(
    options: { cheater?: number; victim?: number; absentDealer?: number; replace?: number } = {},
  ): this {
    const round = this.record.ceremonyRounds.length;
    const { count, threshold } = this.manifest.trustees;
    const base = ceremonyBaseHash(this.location, this.manifest, round);
    const trustees: Trustee[] = Array.from({ length: count }, (_, i) => {
      const index = i + 1;
      const who = options.replace === index ? `trustee-${index}-r${round}` : `trustee-${index}`;
      const nonces = seededNonceSource(`${this.seed}/ceremony/${round}/${index}`);
      const secret = generateTrusteeSecret(threshold, nonces);
      return {
        account: accountOf(`${this.seed}/${who}`),
        secret,
        keys: trusteePublicKeys(base, index, secret, nonces),
      };
    });
    const allKeys = trustees.map((t) => t.keys);
    const shares = trustees.map((t, i) =>
      dealShares(base, i + 1, t.secret, allKeys, seededNonceSource(`${this.seed}/deal/${round}/${i + 1}`)),
    );
    const complaints: ElectionRecord["ceremonyRounds"][number]["complaints"] = [];
    if (options.cheater !== undefined && options.victim !== undefined) {
      const { cheater, victim } = options;
      const position = shareRecipients(cheater, count).indexOf(victim);
      const wrong = scalarAdd(
        evaluatePolynomial(trustees[cheater - 1].secret.polynomial, victim),
        scalarFromInt(1),
      );
      const forged = encryptShare(
        { ceremonyBase: base, dealer: cheater, recipient: victim },
        trustees[victim - 1].keys.boxKey,
        wrong,
        seededNonceSource(`${this.seed}/forged/${round}`)(),
      );
      shares[cheater - 1].set(forged, position * 64);
      complaints.push({
        complainer: victim,
        accused: cheater,
        evidence: toHex(
          complaintEvidence(
            base,
            victim,
            trustees[victim - 1].secret.boxSecret,
            cheater,
            shares[cheater - 1],
            count,
            seededNonceSource(`${this.seed}/evidence/${round}`)(),
          ),
        ),
      });
    }
    const finished = complaints.length === 0 && options.absentDealer === undefined;
    const jointKey = finished ? toHex(jointPublicKey(allKeys)) : null;
    this.record.ceremonyRounds.push({
      round,
      trustees: trustees.map((t) => t.account.address),
      keys: trustees.map((t, i) => {
        const encoded = encodeTrusteeKeys(t.keys);
        return {
          trusteeIndex: i + 1,
          commitments: toHex(encoded.commitments),
          proofs: toHex(encoded.proofs),
          boxKey: toHex(encoded.boxKey),
        };
      }),
      shares: shares.flatMap((s, i) =>
        options.absentDealer === i + 1 ? [] : [{ trusteeIndex: i + 1, encryptedShares: toHex(s) }],
      ),
      complaints,
      confirmations: jointKey === null ? [] : trustees.map((_, i) => ({ trusteeIndex: i + 1, jointKey })),
      jointKey,
    });
    this.nextBlock();
    // A round without a joint key still gives the builder a context to encrypt under (for
    // records where ballots appear although the contract could not have accepted any).
    if (jointKey !== null || this.context === undefined) {
      if (jointKey !== null) this.finalTrustees = trustees;
      this.context = electionContext(
        this.location,
        this.manifest,
        jointPublicKey(allKeys),
        allKeys.map((k) => k.commitments),
      );
    }
    return this;
  }

  /** Journals a credential for `voter` (CredentialIssued). */
  issue(voter: string, style: number): this {
    this.voterStyles.set(voter, style);
    const at = this.nextBlock();
    this.record.issuances.push({
      voterIdHash: seedHash(`${this.seed}/voter-id/${voter}`),
      style,
      requestHash: seedHash(`${this.seed}/request/${voter}`),
      blockNumber: at.blockNumber,
      timestamp: at.timestamp,
    });
    return this;
  }

  private subjectOf(ballot: { index: number; ballotHash: Hex }): string {
    return `ballot ${ballot.index} (tracking code ${trackingCode(this.context, ballot.ballotHash)})`;
  }

  /** Casts `voter`'s ballot (issuing its credential first unless already issued or `unjournaled`). */
  async cast(voter: string, choices: BallotChoices, options: CastOptions = {}): Promise<this> {
    const style = this.voterStyles.get(voter) ?? (voter.startsWith("s-") ? 1 : 0);
    if (!this.voterStyles.has(voter) && !options.unjournaled) this.issue(voter, style);
    this.voterStyles.set(voter, style);
    const account = accountOf(`${this.seed}/voter/${voter}`);
    const sequence =
      options.sequence ??
      BigInt(
        this.ballots.filter((b) => b.record.nullifier === nullifierOf(ELECTION, account.address)).length + 1,
      );
    const nullifier = nullifierOf(ELECTION, account.address);
    const credential = credentialFor(
      this.location,
      style,
      options.tamper === "forged-credential"
        ? accountOf(`${this.seed}/someone-else`).address
        : account.address,
      `${this.seed}/${voter}/${sequence}`,
    );
    const encrypted = encryptBallot(
      this.context,
      style,
      choices,
      nullifier,
      credential,
      seededNonceSource(`${this.seed}/ballot/${voter}/${sequence}`),
    );
    let bytes = encrypted.bytes.slice();
    const tamper = options.tamper;
    if (tamper === "bad-proof") bytes[bytes.length - 64] ^= 0x01; // the low byte of a range proof response
    if (tamper === "unknown-style") new DataView(bytes.buffer).setUint32(4, 7);
    if (tamper === "truncated") bytes = bytes.subarray(0, bytes.length - 1);
    let signature = await signBallot(account, this.location, bytes, sequence);
    let eventNullifier: Hex = nullifier;
    if (tamper === "changed-unsigned") {
      bytes = bytes.slice();
      bytes[bytes.length - 64] ^= 0x01;
      // The contract recovers whoever the changed bytes "were signed by" and records that nullifier.
      const signer = await recoverBallotSigner(this.location, bytes, sequence, signature);
      if (signer === null) throw new Error("changed-unsigned: no signer recovers");
      eventNullifier = nullifierOf(ELECTION, signer);
    }
    if (tamper === "invalid-signature") signature = `${signature.slice(0, -2)}1d` as Hex;
    if (tamper === "nullifier-mismatch") eventNullifier = seedHash(`${this.seed}/stray-nullifier/${voter}`);
    const hash = toHex(ballotHash(bytes));
    const previous = this.record.ballots.at(-1)?.runningHash ?? ZERO_RUNNING_HASH;
    const at = this.nextBlock();
    const record: RecordBallot = {
      index: this.record.ballots.length,
      nullifier: eventNullifier,
      sequence: sequence.toString(),
      ballotHash: hash,
      runningHash: nextRunningHash(previous, eventNullifier, sequence, hash),
      ballot: toHex(bytes),
      signature,
      blockNumber: at.blockNumber,
      transactionHash: at.transactionHash,
      timestamp: at.timestamp,
    };
    if (tamper === "bytes-mismatch") {
      const flipped = hexToBytes(record.ballot);
      flipped[flipped.length - 64] ^= 0x01;
      record.ballot = toHex(flipped);
    }
    this.record.ballots.push(record);
    const code =
      tamper === undefined
        ? undefined
        : (
            {
              "bytes-mismatch": "bytes-mismatch",
              "changed-unsigned": "invalid-credential",
              "forged-credential": "invalid-credential",
              "bad-proof": "invalid-proof",
              "unknown-style": "unknown-style",
              truncated: "malformed-ballot",
              "invalid-signature": "invalid-signature",
              "nullifier-mismatch": "nullifier-mismatch",
            } as const
          )[tamper];
    // Earlier valid ballots under the same (event) nullifier are superseded by a valid one.
    if (code === undefined)
      for (const earlier of this.ballots)
        if (earlier.record.nullifier === eventNullifier && earlier.status === "counted")
          earlier.status = "superseded";
    this.ballots.push({
      record,
      encrypted: code === undefined ? encrypted.ballot : null,
      style,
      status: code === undefined ? "counted" : "excluded",
      code,
    });
    return this;
  }

  /** The check and code of each excluded ballot, in ballot order (V5). */
  expectExcluded(): this {
    const checkOf: Record<string, CheckNumber> = {
      "bytes-mismatch": "V5.1",
      "invalid-signature": "V5.2",
      "unknown-style": "V5.3",
      "malformed-ballot": "V5.3",
      "registrar-key-missing": "V5.4",
      "invalid-credential": "V5.5",
      "invalid-proof": "V5.6",
      "nullifier-mismatch": "V5.7",
    };
    for (const b of this.ballots)
      if (b.status === "excluded")
        this.expect(checkOf[b.code!], b.code as FindingCode, this.subjectOf(b.record));
    return this;
  }

  /** Marks every ballot of `style` excluded with `code` (e.g. its registrar key is invalid). */
  excludeStyle(style: number, code: "registrar-key-missing"): this {
    for (const b of this.ballots)
      if (b.style === style && b.status !== "excluded") {
        b.status = "excluded";
        b.code = code;
        b.encrypted = null;
      }
    return this;
  }

  /** Closes the ledger (once): the contract's running hash and count are the last event's. */
  private closeLedger(): void {
    if (this.ledgerClosed) return;
    this.ledgerClosed = true;
    this.record.runningHash = this.record.ballots.at(-1)?.runningHash ?? ZERO_RUNNING_HASH;
    this.record.ballotCount = this.record.ballots.length;
  }

  /** The running hash over the record's events (protocol.md section 9), as a verifier recomputes it. */
  private eventsRunningHash(): Hex {
    return this.record.ballots.reduce<Hex>(
      (running, b) => nextRunningHash(running, b.nullifier, BigInt(b.sequence), b.ballotHash),
      ZERO_RUNNING_HASH,
    );
  }

  private countedAggregate(): Aggregate {
    return aggregateBallots(
      this.context,
      this.ballots.filter((b) => b.status === "counted").map((b) => b.encrypted!),
    );
  }

  private secretShareOf(index: number): Scalar {
    return this.finalTrustees.reduce(
      (acc, t) => scalarAdd(acc, evaluatePolynomial(t.secret.polynomial, index)),
      scalarFromInt(0),
    );
  }

  /**
   * The trustees in `present` post decryption shares of the counted aggregate; `tamper` changes
   * one share: a proof byte (invalid) or the aggregate hash it is posted for (other-aggregate).
   */
  decrypt(present: number[], tamper?: { trustee: number; kind: "invalid" | "other-aggregate" }): this {
    this.closeLedger();
    const aggregate = this.countedAggregate();
    this.aggregate = aggregate;
    const hash = toHex(aggregateHash(this.context, aggregate));
    const valid: DecryptionShare[] = [];
    for (const index of present) {
      const { share, bytes } = createDecryptionShare(
        this.context,
        aggregate,
        index,
        this.secretShareOf(index),
        seededNonceSource(`${this.seed}/decrypt/${index}`),
      );
      let posted = bytes;
      let postedHash: Hex = hash;
      if (tamper?.trustee === index && tamper.kind === "invalid") {
        posted = bytes.slice();
        posted[8 + 32] ^= 0x01; // the low byte of the first proof's challenge
      } else if (tamper?.trustee === index && tamper.kind === "other-aggregate")
        postedHash = seedHash(`${this.seed}/another-aggregate`);
      else valid.push(share);
      this.honestShares.push(share);
      this.nextBlock();
      this.record.decryptionShares.push({
        trusteeIndex: index,
        aggregateHash: postedHash,
        share: toHex(posted),
      });
    }
    const threshold = this.manifest.trustees.threshold;
    this.ownResult = valid.length >= threshold ? computeTally(this.context, aggregate, valid) : null;
    return this;
  }

  /** Publishes the result of the valid shares (or, with `tamper`, a wrong one). */
  publish(tamper?: "off-by-one" | "wrong-hash"): this {
    const tally = computeTally(this.context, this.aggregate!, this.honestShares);
    if (!tally.ok) throw new Error(`publish: ${tally.reason}`);
    let result = tally.result;
    if (tamper === "off-by-one")
      result = { ...result, mayor: { ...result.mayor, ada: result.mayor.ada + 1 } };
    this.record.result = {
      resultHash: tamper === "wrong-hash" ? seedHash(`${this.seed}/wrong-result-hash`) : toHex(tally.hash),
      result: canonicalJson(result),
    };
    this.nextBlock();
    return this;
  }

  /** The tally by construction (protocol.md 6.6). */
  private ownTally(): { bytes: string; hash: Hex } | null {
    if (this.context === undefined) return null;
    this.closeLedger();
    const aggregate = this.aggregate ?? this.countedAggregate();
    const canonical = canonicalTally(this.context, {
      verdicts: this.ballots.map((b) =>
        b.status === "excluded" ? { status: "excluded" as const, code: b.code } : { status: b.status },
      ),
      runningHash: this.eventsRunningHash(),
      aggregateHash: aggregateHash(this.context, aggregate),
      result: this.ownResult?.ok ? this.ownResult.result : null,
    });
    const bytes = encodeTally(canonical);
    return { bytes: new TextDecoder().decode(bytes), hash: toHex(tallyHash(this.context, bytes)) };
  }

  /** An observer's attestation of this tally (or of `tallyHash`, `resultMatches` when given). */
  async attest(
    observer: string,
    options: { tallyHash?: Hex; resultMatches?: boolean; signedBy?: string } = {},
  ): Promise<this> {
    const account = accountOf(`${this.seed}/observer/${observer}`);
    const values = {
      resultHash: this.record.result!.resultHash,
      tallyHash: options.tallyHash ?? this.ownTally()!.hash,
      resultMatches: options.resultMatches ?? true,
    };
    // Signed as the observer signs it (protocol.md section 9), or by someone else (`signedBy`).
    const signer =
      options.signedBy === undefined ? account : accountOf(`${this.seed}/observer/${options.signedBy}`);
    const signature = await signAttestation(signer, this.location, { election: ELECTION, ...values });
    const attestation: RecordAttestation = { observer: account.address, ...values, signature };
    this.record.attestations.push(attestation);
    // The commission granted it the observer role (RoleGranted).
    if (!this.record.observers.includes(account.address))
      this.record.observers = [...this.record.observers, account.address].sort();
    this.nextBlock();
    return this;
  }

  /** The address of the last attesting observer. */
  lastObserver(): string {
    return this.record.attestations.at(-1)!.observer;
  }

  /** Direct access for faults planted in the finished record. */
  mutate(change: (record: ElectionRecord, builder: this) => void): this {
    this.closeLedger();
    change(this.record, this);
    return this;
  }

  subject(index: number): string {
    return this.subjectOf(this.record.ballots.find((b) => b.index === index) ?? this.ballots[index].record);
  }

  /** Without a context (no joint key): no ballot is checked, nothing is counted, no tally. */
  build(name: string, description: string, options: { noContext?: boolean } = {}): ConformanceCase {
    this.closeLedger();
    this.record.throughBlock = String(this.block);
    const tally = options.noContext ? null : this.ownTally();
    if (options.noContext) this.ballots.length = 0;
    const faults = this.findings.filter((f) => f.severity === "fault");
    const verdict: Verdict =
      faults.length > 0 ? "fails" : this.findings.length > 0 ? "holds-with-warnings" : "holds";
    const excluded: Record<string, number> = {};
    for (const b of this.ballots)
      if (b.status === "excluded") excluded[b.code!] = (excluded[b.code!] ?? 0) + 1;
    return {
      record: structuredClone(this.record),
      expected: {
        name,
        description,
        verdict,
        exitCode: verdict === "holds" ? 0 : verdict === "holds-with-warnings" ? 1 : 4,
        findings: this.findings,
        ballots: {
          recorded: this.record.ballots.length,
          counted: this.ballots.filter((b) => b.status === "counted").length,
          superseded: this.ballots.filter((b) => b.status === "superseded").length,
          excluded,
        },
        tallyHash: tally?.hash ?? null,
        tallyBytes: tally?.bytes ?? null,
      },
    };
  }
}

/** The codes the verification reports as warnings (docs/protocol.md section 10). */
export const WARNING_CODES: ReadonlySet<FindingCode> = new Set<FindingCode>([
  "registrar-key-absent",
  "other-result",
  "tally-differs",
  "disputes-result",
]);
