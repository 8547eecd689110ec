import { z } from "zod";
import type { ElectionContext } from "./context";
import { contestsOfStyle, type Contest, type Manifest } from "./manifest";
import { bytesEqual, fromHex, toHex, u32be, u64be, utf8 } from "./primitives/bytes";
import {
  type DisjunctiveProof,
  type ValueRange,
  ZERO_ONE,
  disjunctiveProofBytes,
  encodeDisjunctiveProof,
  proveValueInRange,
  readDisjunctiveProof,
  checkRecomputedProof,
} from "./primitives/disjunctive";
import {
  CIPHERTEXT_BYTES,
  type Ciphertext,
  type NonceSource,
  encodeCiphertext,
  encrypt,
  openWithNonce,
  readCiphertext,
  sumCiphertexts,
} from "./primitives/elgamal";
import { ByteReader, ByteWriter } from "./primitives/encoding";
import {
  decodeScalar,
  isZeroScalar,
  randomScalar,
  scalarAdd,
  scalarFromInt,
  type Point,
  type Scalar,
} from "./primitives/group";
import { groupBackend } from "./primitives/backend";
import { hashToScalar, keccak256Bytes, taggedDigest32 } from "./primitives/hash";
import type { ProofBinding } from "./primitives/proofs";

/**
 * The encrypted ballot and its canonical binary encoding (protocol.md section 5).
 *
 *   ballot = "BLB1" || u32(styleIndex) || LP(credential prefix) || LP(credential signature)
 *            || for each contest of the style, in the style's order:
 *                 for each option of the contest, in the manifest's order:
 *                   A || B || 0/1 proof (c0 || c1 || z0 || z1)
 *                 range proof of the contest (64 * (max - min + 1) bytes)
 *
 * These bytes are what the voter signs (EIP-712) and what the contract hashes
 * (keccak256). Every proof challenge binds Q, the ballot's nullifier, the style
 * index and the contest (and option) id, so a ciphertext and its proof copied
 * into another ballot, contest or option do not verify.
 */

export const BALLOT_MAGIC = utf8("BLB1");
/** The contract's limit on the ballot bytes. */
export const MAX_BALLOT_BYTES = 32768;
/** RFC 9474 randomized message prefix. */
export const BALLOT_CREDENTIAL_PREFIX_BYTES = 32;
/** Blind RSA signature sizes: RSA-2048, RSA-3072 and RSA-4096. */
export const BALLOT_CREDENTIAL_SIGNATURE_SIZES: readonly number[] = Object.freeze([256, 384, 512]);

export const BALLOT_OPTION_TAG = "ballot-option";
export const BALLOT_CONTEST_TAG = "ballot-contest";
export const TRACKING_CODE_TAG = "tracking-code";

/** The voter's anonymous credential, verified by the credential module; opaque here. */
export interface BallotCredential {
  /** The RFC 9474 randomized message prefix (32 bytes). */
  messagePrefix: Uint8Array;
  /** The registrar's blind RSA signature (256, 384 or 512 bytes). */
  signature: Uint8Array;
}

export interface EncryptedSelection {
  optionId: string;
  ciphertext: Ciphertext;
  /** Proof that the ciphertext encrypts 0 or 1. */
  proof: DisjunctiveProof;
}

export interface EncryptedContest {
  contestId: string;
  selections: EncryptedSelection[];
  /** Proof that the sum of the selections lies in [minSelections, maxSelections]. */
  rangeProof: DisjunctiveProof;
}

export interface EncryptedBallot {
  styleIndex: number;
  credential: BallotCredential;
  contests: EncryptedContest[];
}

/** The voter's choices: for each contest of the style, the ids of the selected options. */
export type BallotChoices = Readonly<Record<string, readonly string[]>>;

export type Bytes32Input = Uint8Array | `0x${string}`;

export type ChoiceCheck = { ok: true } | { ok: false; reason: string };
export type BallotResult = { ok: true; ballot: EncryptedBallot } | { ok: false; reason: string };

/** Thrown by encryptBallot when the choices break the manifest's rules. */
export class BallotChoiceError extends Error {
  override name = "BallotChoiceError";
}

// ---------------------------------------------------------------- layout

interface OptionPlan {
  id: string;
  idBytes: Uint8Array;
}
interface ContestPlan {
  contest: Contest;
  idBytes: Uint8Array;
  options: OptionPlan[];
  range: ValueRange;
  rangeProofBytes: number;
  /** Bytes of the contest in the ballot: options * (64 + 128) + range proof. */
  bytes: number;
}
interface StylePlan {
  styleIndex: number;
  styleBytes: Uint8Array;
  contests: ContestPlan[];
  /** Bytes after the credential. */
  bodyBytes: number;
  /** (options, lo, hi) per contest: the shape GroupBackend.ballotCommitments reads. */
  shape: Uint32Array;
}

const OPTION_BYTES = CIPHERTEXT_BYTES + 128;
const plans = new WeakMap<Manifest, Map<number, StylePlan>>();

/** The style's contests with their encoded ids and sizes, cached per manifest object. */
function stylePlan(manifest: Manifest, styleIndex: number): StylePlan | null {
  let perManifest = plans.get(manifest);
  if (perManifest === undefined) {
    perManifest = new Map();
    plans.set(manifest, perManifest);
  }
  const cached = perManifest.get(styleIndex);
  if (cached !== undefined) return cached;
  let plan: StylePlan | null = null;
  const contests =
    Number.isSafeInteger(styleIndex) && styleIndex >= 0 && styleIndex <= 0xffffffff
      ? contestsOfStyle(manifest, styleIndex)
      : null;
  if (contests !== null) {
    const contestPlans = contests.map((contest): ContestPlan => {
      const range = { lo: contest.minSelections, hi: contest.maxSelections };
      const rangeProofBytes = disjunctiveProofBytes(range);
      return {
        contest,
        idBytes: utf8(contest.id),
        options: contest.options.map((o) => ({ id: o.id, idBytes: utf8(o.id) })),
        range,
        rangeProofBytes,
        bytes: contest.options.length * OPTION_BYTES + rangeProofBytes,
      };
    });
    plan = {
      styleIndex,
      styleBytes: u32be(styleIndex),
      contests: contestPlans,
      bodyBytes: contestPlans.reduce((sum, c) => sum + c.bytes, 0),
      shape: Uint32Array.from(contestPlans.flatMap((c) => [c.options.length, c.range.lo, c.range.hi])),
    };
  }
  // Only real styles are cached: hostile style indices must not grow the cache.
  if (plan !== null) perManifest.set(styleIndex, plan);
  return plan;
}

/** Size in bytes of a ballot of this style with a credential signature of `signatureBytes`. */
export function ballotSize(manifest: Manifest, styleIndex: number, signatureBytes: number): number | null {
  const plan = stylePlan(manifest, styleIndex);
  if (plan === null) return null;
  return 4 + 4 + 4 + BALLOT_CREDENTIAL_PREFIX_BYTES + 4 + signatureBytes + plan.bodyBytes;
}

function toBytes32(value: Bytes32Input): Uint8Array | null {
  if (value instanceof Uint8Array) return value.length === 32 ? value : null;
  if (typeof value !== "string") return null;
  const bytes = fromHex(value);
  return bytes !== null && bytes.length === 32 ? bytes : null;
}

const optionBinding = (
  context: ElectionContext,
  nullifier: Uint8Array,
  plan: StylePlan,
  contest: ContestPlan,
  option: OptionPlan,
): ProofBinding => ({
  tag: BALLOT_OPTION_TAG,
  context: [context.baseHash, nullifier, plan.styleBytes, contest.idBytes, option.idBytes],
});

const contestBinding = (
  context: ElectionContext,
  nullifier: Uint8Array,
  plan: StylePlan,
  contest: ContestPlan,
): ProofBinding => ({
  tag: BALLOT_CONTEST_TAG,
  context: [context.baseHash, nullifier, plan.styleBytes, contest.idBytes],
});

// ---------------------------------------------------------------- choices

/** Checks the choices against the manifest: exactly the style's contests, known option ids, min/max. */
export function validateChoices(manifest: Manifest, styleIndex: number, choices: BallotChoices): ChoiceCheck {
  const plan = stylePlan(manifest, styleIndex);
  if (plan === null) return { ok: false, reason: `unknown ballot style ${styleIndex}` };
  if (choices === null || typeof choices !== "object")
    return { ok: false, reason: "choices must be an object" };
  const expected = new Set(plan.contests.map((c) => c.contest.id));
  for (const id of Object.keys(choices))
    if (!expected.has(id)) return { ok: false, reason: `contest ${id} is not on ballot style ${styleIndex}` };
  for (const { contest } of plan.contests) {
    const selected = choices[contest.id];
    if (selected === undefined) return { ok: false, reason: `contest ${contest.id}: no choice given` };
    if (!Array.isArray(selected))
      return { ok: false, reason: `contest ${contest.id}: choices must be a list` };
    const known = new Set(contest.options.map((o) => o.id));
    const seen = new Set<string>();
    for (const id of selected) {
      if (typeof id !== "string" || !known.has(id))
        return { ok: false, reason: `contest ${contest.id}: unknown option ${String(id)}` };
      if (seen.has(id)) return { ok: false, reason: `contest ${contest.id}: option ${id} selected twice` };
      seen.add(id);
    }
    if (seen.size < contest.minSelections)
      return {
        ok: false,
        reason: `contest ${contest.id}: ${seen.size} selected, at least ${contest.minSelections} required`,
      };
    if (seen.size > contest.maxSelections)
      return {
        ok: false,
        reason: `contest ${contest.id}: ${seen.size} selected, at most ${contest.maxSelections} allowed`,
      };
  }
  return { ok: true };
}

function checkCredential(credential: BallotCredential): ChoiceCheck {
  if (!(credential?.messagePrefix instanceof Uint8Array) || !(credential.signature instanceof Uint8Array))
    return { ok: false, reason: "credential: prefix and signature must be byte arrays" };
  if (credential.messagePrefix.length !== BALLOT_CREDENTIAL_PREFIX_BYTES)
    return {
      ok: false,
      reason: `credential: prefix is ${credential.messagePrefix.length} bytes, must be ${BALLOT_CREDENTIAL_PREFIX_BYTES}`,
    };
  if (!BALLOT_CREDENTIAL_SIGNATURE_SIZES.includes(credential.signature.length))
    return {
      ok: false,
      reason: `credential: signature is ${credential.signature.length} bytes, must be 256, 384 or 512`,
    };
  return { ok: true };
}

// ---------------------------------------------------------------- encryption

export interface EncryptedBallotOutput {
  ballot: EncryptedBallot;
  /** The canonical ballot bytes (what is signed and submitted). */
  bytes: Uint8Array;
  /** Encryption nonces r per contest (style order) per option (manifest order): revealed by a Benaloh challenge. */
  nonces: Scalar[][];
}

/**
 * Encrypts the choices of a voter of ballot style `styleIndex` and proves them
 * well formed. Throws BallotChoiceError when the choices break the manifest's
 * rules, RangeError on a malformed nullifier or credential or when the ballot
 * would exceed MAX_BALLOT_BYTES.
 *
 * Randomness comes from `nonces` in this order, for each contest of the style:
 * for each option, its encryption nonce r then its 0/1 proof's nonces (see
 * proveValueInRange); then the contest's range proof nonces. The range proof's
 * witness is the sum of the contest's r.
 */
export function encryptBallot(
  context: ElectionContext,
  styleIndex: number,
  choices: BallotChoices,
  nullifier: Bytes32Input,
  credential: BallotCredential,
  nonces: NonceSource = randomScalar,
): EncryptedBallotOutput {
  const valid = validateChoices(context.manifest, styleIndex, choices);
  if (!valid.ok) throw new BallotChoiceError(valid.reason);
  const nullifierBytes = toBytes32(nullifier);
  if (nullifierBytes === null) throw new RangeError("nullifier must be 32 bytes");
  const credentialCheck = checkCredential(credential);
  if (!credentialCheck.ok) throw new RangeError(credentialCheck.reason);
  const plan = stylePlan(context.manifest, styleIndex)!;
  const size = ballotSize(context.manifest, styleIndex, credential.signature.length)!;
  if (size > MAX_BALLOT_BYTES)
    throw new RangeError(
      `ballot style ${styleIndex} needs ${size} bytes, above the limit of ${MAX_BALLOT_BYTES}`,
    );

  const key = context.jointKey;
  const allNonces: Scalar[][] = [];
  const contests: EncryptedContest[] = plan.contests.map((contestPlan) => {
    const selected = new Set(choices[contestPlan.contest.id]);
    const contestNonces: Scalar[] = [];
    let nonceSum = scalarFromInt(0);
    const selections = contestPlan.options.map((option): EncryptedSelection => {
      const value = selected.has(option.id) ? 1 : 0;
      const r = nonces();
      if (isZeroScalar(r)) throw new RangeError("nonce source returned zero");
      contestNonces.push(r);
      nonceSum = scalarAdd(nonceSum, r);
      const ciphertext = encrypt(key, value, r);
      const binding = optionBinding(context, nullifierBytes, plan, contestPlan, option);
      const proof = proveValueInRange(binding, key, ciphertext, value, r, ZERO_ONE, nonces);
      return { optionId: option.id, ciphertext, proof };
    });
    allNonces.push(contestNonces);
    const sum = sumCiphertexts(selections.map((s) => s.ciphertext));
    const rangeProof = proveValueInRange(
      contestBinding(context, nullifierBytes, plan, contestPlan),
      key,
      sum,
      selected.size,
      nonceSum,
      contestPlan.range,
      nonces,
    );
    return { contestId: contestPlan.contest.id, selections, rangeProof };
  });
  const ballot: EncryptedBallot = {
    styleIndex,
    credential: { messagePrefix: credential.messagePrefix.slice(), signature: credential.signature.slice() },
    contests,
  };
  return { ballot, bytes: encodeBallot(ballot), nonces: allNonces };
}

/** The canonical bytes of a ballot object (as produced by encryptBallot or decodeBallot). */
export function encodeBallot(ballot: EncryptedBallot): Uint8Array {
  const writer = new ByteWriter()
    .bytes(BALLOT_MAGIC)
    .u32(ballot.styleIndex)
    .varBytes(ballot.credential.messagePrefix)
    .varBytes(ballot.credential.signature);
  for (const contest of ballot.contests) {
    for (const selection of contest.selections)
      writer.bytes(encodeCiphertext(selection.ciphertext)).bytes(encodeDisjunctiveProof(selection.proof));
    writer.bytes(encodeDisjunctiveProof(contest.rangeProof));
  }
  return writer.finish();
}

// ---------------------------------------------------------------- decoding

/**
 * Decodes untrusted ballot bytes against the manifest: header, style, credential
 * field lengths, exact length for the style, every point canonical and not the
 * identity, every scalar canonical. Never throws. Proofs are not checked here.
 */
export function decodeBallot(context: ElectionContext, bytes: Uint8Array): BallotResult {
  try {
    return decodeUnchecked(context, bytes);
  } catch (error) {
    return { ok: false, reason: `ballot: undecodable (${(error as Error).message})` };
  }
}

function decodeUnchecked(context: ElectionContext, bytes: Uint8Array): BallotResult {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: "ballot: not a byte array" };
  if (bytes.length > MAX_BALLOT_BYTES)
    return { ok: false, reason: `ballot: ${bytes.length} bytes, above the limit of ${MAX_BALLOT_BYTES}` };
  const reader = new ByteReader(bytes);
  const magic = reader.bytes(4);
  if (magic === null || !bytesEqual(magic, BALLOT_MAGIC))
    return { ok: false, reason: "ballot: bad magic (expected BLB1)" };
  const styleIndex = reader.u32();
  if (styleIndex === null) return { ok: false, reason: "ballot: truncated before the style index" };
  const plan = stylePlan(context.manifest, styleIndex);
  if (plan === null) return { ok: false, reason: `ballot: unknown ballot style ${styleIndex}` };
  const prefixLength = reader.u32();
  if (prefixLength === null) return { ok: false, reason: "ballot: truncated in the credential" };
  if (prefixLength !== BALLOT_CREDENTIAL_PREFIX_BYTES)
    return {
      ok: false,
      reason: `ballot: credential prefix length ${prefixLength}, must be ${BALLOT_CREDENTIAL_PREFIX_BYTES}`,
    };
  const messagePrefix = reader.bytes(prefixLength);
  const signatureLength = reader.u32();
  if (messagePrefix === null || signatureLength === null)
    return { ok: false, reason: "ballot: truncated in the credential" };
  if (!BALLOT_CREDENTIAL_SIGNATURE_SIZES.includes(signatureLength))
    return {
      ok: false,
      reason: `ballot: credential signature length ${signatureLength}, must be 256, 384 or 512`,
    };
  const signature = reader.bytes(signatureLength);
  if (signature === null) return { ok: false, reason: "ballot: truncated in the credential" };
  if (reader.remaining !== plan.bodyBytes)
    return {
      ok: false,
      reason: `ballot: ${bytes.length} bytes, ballot style ${styleIndex} with a ${signatureLength}-byte signature needs ${
        bytes.length - reader.remaining + plan.bodyBytes
      }`,
    };
  const contests: EncryptedContest[] = [];
  for (const contestPlan of plan.contests) {
    const contestId = contestPlan.contest.id;
    const selections: EncryptedSelection[] = [];
    for (const option of contestPlan.options) {
      const ciphertext = readCiphertext(reader);
      if (ciphertext === null)
        return {
          ok: false,
          reason: `contest ${contestId} option ${option.id}: ciphertext is not two valid non-identity points`,
        };
      const proof = readDisjunctiveProof(reader, 2);
      if (proof === null)
        return {
          ok: false,
          reason: `contest ${contestId} option ${option.id}: 0/1 proof has a non-canonical scalar`,
        };
      selections.push({ optionId: option.id, ciphertext, proof });
    }
    const rangeProof = readDisjunctiveProof(reader, contestPlan.range.hi - contestPlan.range.lo + 1);
    if (rangeProof === null)
      return { ok: false, reason: `contest ${contestId}: range proof has a non-canonical scalar` };
    contests.push({ contestId, selections, rangeProof });
  }
  if (!reader.done()) return { ok: false, reason: "ballot: trailing bytes" };
  return {
    ok: true,
    ballot: {
      styleIndex,
      credential: { messagePrefix: messagePrefix.slice(), signature: signature.slice() },
      contests,
    },
  };
}

// ---------------------------------------------------------------- verification

/** Checks that a ballot object has exactly the shape of its style (for objects not made by decodeBallot). */
function checkShape(plan: StylePlan, ballot: EncryptedBallot): ChoiceCheck {
  if (!Array.isArray(ballot.contests) || ballot.contests.length !== plan.contests.length)
    return { ok: false, reason: `ballot: style ${plan.styleIndex} has ${plan.contests.length} contests` };
  for (let i = 0; i < plan.contests.length; i++) {
    const contestPlan = plan.contests[i];
    const contest = ballot.contests[i];
    const range = contestPlan.range;
    if (
      contest?.contestId !== contestPlan.contest.id ||
      !Array.isArray(contest.selections) ||
      contest.selections.length !== contestPlan.options.length ||
      contest.rangeProof?.challenges?.length !== range.hi - range.lo + 1
    )
      return { ok: false, reason: `contest ${contestPlan.contest.id}: does not match the manifest` };
    for (let j = 0; j < contestPlan.options.length; j++)
      if (contest.selections[j]?.optionId !== contestPlan.options[j].id)
        return {
          ok: false,
          reason: `contest ${contestPlan.contest.id}: option ${j} does not match the manifest`,
        };
  }
  return { ok: true };
}

/**
 * Verifies every proof of a ballot bound to `nullifier` (keccak256(abi.encode(election, votingAddress)),
 * derived by the caller from the EIP-712 signer). Accepts the raw bytes (decoded
 * first) or a decoded ballot. Returns the decoded ballot, or the first failure
 * with its place. Never throws.
 */
export function verifyBallotProofs(
  context: ElectionContext,
  ballot: Uint8Array | EncryptedBallot,
  nullifier: Bytes32Input,
): BallotResult {
  try {
    return verifyUnchecked(context, ballot, nullifier);
  } catch (error) {
    return { ok: false, reason: `ballot: malformed (${(error as Error).message})` };
  }
}

function verifyUnchecked(
  context: ElectionContext,
  input: Uint8Array | EncryptedBallot,
  nullifier: Bytes32Input,
): BallotResult {
  const nullifierBytes = toBytes32(nullifier);
  if (nullifierBytes === null) return { ok: false, reason: "nullifier must be 32 bytes" };
  let ballot: EncryptedBallot;
  if (input instanceof Uint8Array) {
    const decoded = decodeBallot(context, input);
    if (!decoded.ok) return decoded;
    ballot = decoded.ballot;
  } else {
    ballot = input;
  }
  const plan = stylePlan(context.manifest, ballot.styleIndex);
  if (plan === null) return { ok: false, reason: `ballot: unknown ballot style ${ballot.styleIndex}` };
  if (!(input instanceof Uint8Array)) {
    const shape = checkShape(plan, ballot);
    if (!shape.ok) return shape;
  }
  return checkProofs(context, plan, ballot, nullifierBytes);
}

/** The ballot's proofs in the layout of its encoding after the credential (section 5). */
function proofBody(plan: StylePlan, ballot: EncryptedBallot): Uint8Array {
  const body = new Uint8Array(plan.bodyBytes);
  let at = 0;
  const put = (bytes: Uint8Array) => {
    if (bytes.length !== 32) throw new RangeError(`a point or scalar of ${bytes.length} bytes`);
    body.set(bytes, at);
    at += bytes.length;
  };
  const putProof = (proof: DisjunctiveProof) => {
    for (const c of proof.challenges) put(c);
    for (const z of proof.responses) put(z);
  };
  for (const contest of ballot.contests) {
    for (const selection of contest.selections) {
      put(selection.ciphertext.a);
      put(selection.ciphertext.b);
      putProof(selection.proof);
    }
    putProof(contest.rangeProof);
  }
  if (at !== body.length) throw new RangeError("the proofs do not match the ballot style");
  return body;
}

/**
 * Every proof of a ballot, in the ballot's order, reporting the first that
 * fails (sections 4.2, 5.3): the backend recomputes all commitments and sums
 * the challenges in one call (GroupBackend.ballotCommitments), then each
 * proof's challenge is hashed and compared here, in order. The same
 * equations as verifyValueInRange proof by proof, so the same verdict and the
 * same first failure.
 */
function checkProofs(
  context: ElectionContext,
  plan: StylePlan,
  ballot: EncryptedBallot,
  nullifier: Uint8Array,
): BallotResult {
  const key = context.jointKey;
  const recomputed = groupBackend().ballotCommitments(key, proofBody(plan, ballot), plan.shape);
  let at = 0;
  for (let i = 0; i < plan.contests.length; i++) {
    const contestPlan = plan.contests[i];
    const contest = ballot.contests[i];
    for (let j = 0; j < contestPlan.options.length; j++) {
      const option = contestPlan.options[j];
      const selection = contest.selections[j];
      const binding = optionBinding(context, nullifier, plan, contestPlan, option);
      const holds = checkRecomputedProof(binding, ZERO_ONE, key, selection.ciphertext, recomputed, at);
      at += 160;
      if (!holds)
        return {
          ok: false,
          reason: `contest ${contestPlan.contest.id} option ${option.id}: 0/1 proof fails`,
        };
    }
    const sum: Ciphertext = {
      a: recomputed.slice(at, at + 32) as Point,
      b: recomputed.slice(at + 32, at + 64) as Point,
    };
    at += 64;
    const binding = contestBinding(context, nullifier, plan, contestPlan);
    const holds = checkRecomputedProof(binding, contestPlan.range, key, sum, recomputed, at);
    at += 32 + 64 * (contestPlan.range.hi - contestPlan.range.lo + 1);
    if (!holds)
      return {
        ok: false,
        reason: `contest ${contestPlan.contest.id}: range proof fails (selections must be in [${contestPlan.range.lo}, ${contestPlan.range.hi}])`,
      };
  }
  return { ok: true, ballot };
}

// ---------------------------------------------------------------- hashes and tracking codes

/** ballotHash = keccak256(ballot bytes), as the contract computes it. */
export const ballotHash = (bytes: Uint8Array): Uint8Array => keccak256Bytes(bytes);

const CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";

/**
 * The voter's tracking code: Crockford base32 of the first 80 bits of
 * H32("tracking-code"; Q, ballotHash), 16 characters in groups of four.
 */
export function trackingCode(context: ElectionContext, hash: Bytes32Input): string {
  const hashBytes = toBytes32(hash);
  if (hashBytes === null) throw new RangeError("ballot hash must be 32 bytes");
  const digest = taggedDigest32(TRACKING_CODE_TAG, [context.baseHash, hashBytes]);
  let bits = 0n;
  for (let i = 0; i < 10; i++) bits = (bits << 8n) | BigInt(digest[i]);
  let code = "";
  for (let i = 15; i >= 0; i--) code += CROCKFORD[Number((bits >> BigInt(5 * i)) & 31n)];
  return `${code.slice(0, 4)}-${code.slice(4, 8)}-${code.slice(8, 12)}-${code.slice(12)}`;
}

/**
 * Normalises a typed tracking code: case-insensitive, hyphens and spaces ignored,
 * I/L read as 1 and O as 0 (Crockford). Returns the canonical form or null.
 */
export function normalizeTrackingCode(input: string): string | null {
  if (typeof input !== "string") return null;
  const cleaned = input.toUpperCase().replace(/[\s-]/g, "").replace(/[IL]/g, "1").replace(/O/g, "0");
  if (!/^[0-9A-HJKMNP-TV-Z]{16}$/.test(cleaned)) return null;
  return `${cleaned.slice(0, 4)}-${cleaned.slice(4, 8)}-${cleaned.slice(8, 12)}-${cleaned.slice(12)}`;
}

// ---------------------------------------------------------------- Benaloh challenge

/**
 * What the booth reveals when the voter challenges a ballot instead of casting
 * it: the stated choices and every encryption nonce, as JSON-ready values. The
 * challenged ballot must never be cast afterwards.
 */
export interface BenalohReveal {
  version: 1;
  styleIndex: number;
  contests: { contestId: string; selected: string[]; nonces: `0x${string}`[] }[];
}

export function challengeReveal(
  encrypted: Pick<EncryptedBallotOutput, "ballot" | "nonces">,
  choices: BallotChoices,
): BenalohReveal {
  return {
    version: 1,
    styleIndex: encrypted.ballot.styleIndex,
    contests: encrypted.ballot.contests.map((contest, i) => ({
      contestId: contest.contestId,
      selected: [...(choices[contest.contestId] ?? [])],
      nonces: encrypted.nonces[i].map((r) => toHex(r)),
    })),
  };
}

const revealSchema = z.strictObject({
  version: z.literal(1),
  styleIndex: z.number().int().min(0),
  contests: z
    .array(
      z.strictObject({
        contestId: z.string(),
        selected: z.array(z.string()).max(64),
        nonces: z.array(z.string().regex(/^0x[0-9a-fA-F]{64}$/)).max(64),
      }),
    )
    .max(64),
});

export type ChallengeResult =
  | {
      ok: true;
      /** What the ballot actually encrypts: selected option ids per contest, in manifest order. */
      choices: Record<string, string[]>;
      ballotHash: `0x${string}`;
      trackingCode: string;
    }
  | { ok: false; reason: string };

/**
 * Checks a challenged ballot against the booth's reveal: every ciphertext must
 * open with its revealed nonce to 0 or 1, and the opened choices must be the
 * stated ones. Returns what the ballot encrypts (and its tracking code, which the
 * voter compares with the one the booth showed). Never throws.
 */
export function verifyChallenge(
  context: ElectionContext,
  ballotBytes: Uint8Array,
  reveal: unknown,
): ChallengeResult {
  try {
    return verifyChallengeUnchecked(context, ballotBytes, reveal);
  } catch (error) {
    return { ok: false, reason: `challenge: malformed (${(error as Error).message})` };
  }
}

function verifyChallengeUnchecked(
  context: ElectionContext,
  ballotBytes: Uint8Array,
  reveal: unknown,
): ChallengeResult {
  const parsed = revealSchema.safeParse(reveal);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    return { ok: false, reason: `reveal.${issue.path.join(".") || "(root)"}: ${issue.message}` };
  }
  const decoded = decodeBallot(context, ballotBytes);
  if (!decoded.ok) return decoded;
  const ballot = decoded.ballot;
  const opened = parsed.data;
  if (opened.styleIndex !== ballot.styleIndex)
    return {
      ok: false,
      reason: `reveal is for ballot style ${opened.styleIndex}, the ballot is style ${ballot.styleIndex}`,
    };
  if (opened.contests.length !== ballot.contests.length)
    return {
      ok: false,
      reason: `reveal has ${opened.contests.length} contests, the ballot ${ballot.contests.length}`,
    };
  const choices: Record<string, string[]> = {};
  for (let i = 0; i < ballot.contests.length; i++) {
    const contest = ballot.contests[i];
    const revealed = opened.contests[i];
    if (revealed.contestId !== contest.contestId)
      return {
        ok: false,
        reason: `reveal contest ${i} is ${revealed.contestId}, the ballot has ${contest.contestId}`,
      };
    if (revealed.nonces.length !== contest.selections.length)
      return {
        ok: false,
        reason: `contest ${contest.contestId}: ${revealed.nonces.length} nonces revealed, ${contest.selections.length} needed`,
      };
    const selected: string[] = [];
    for (let j = 0; j < contest.selections.length; j++) {
      const selection = contest.selections[j];
      const nonce = decodeScalar(fromHex(revealed.nonces[j])!);
      if (nonce === null || isZeroScalar(nonce))
        return {
          ok: false,
          reason: `contest ${contest.contestId} option ${selection.optionId}: invalid nonce`,
        };
      const value = openWithNonce(context.jointKey, selection.ciphertext, nonce, 1);
      if (value === null)
        return {
          ok: false,
          reason: `contest ${contest.contestId} option ${selection.optionId}: ciphertext does not open to 0 or 1 with the revealed nonce`,
        };
      if (value === 1) selected.push(selection.optionId);
    }
    const stated = new Set(revealed.selected);
    if (
      stated.size !== revealed.selected.length ||
      stated.size !== selected.length ||
      selected.some((id) => !stated.has(id))
    )
      return {
        ok: false,
        reason: `contest ${contest.contestId}: the ballot encrypts [${selected.join(", ")}], the booth stated [${revealed.selected.join(", ")}]`,
      };
    choices[contest.contestId] = selected;
  }
  const hash = ballotHash(ballotBytes);
  return { ok: true, choices, ballotHash: toHex(hash), trackingCode: trackingCode(context, hash) };
}

// ---------------------------------------------------------------- deterministic nonces

/**
 * A deterministic nonce source for known-answer vectors and tests ONLY (a booth
 * must use fresh randomness): the i-th nonce (i = 0, 1, ...) is
 * Hq("test-nonce"; seed, u64(i)), skipping zero.
 */
export function seededNonceSource(seed: Uint8Array | string): NonceSource {
  const seedBytes = typeof seed === "string" ? utf8(seed) : seed.slice();
  let counter = 0n;
  return () => {
    for (;;) {
      const scalar = hashToScalar("test-nonce", [seedBytes, u64be(counter++)]);
      if (!isZeroScalar(scalar)) return scalar;
    }
  };
}
