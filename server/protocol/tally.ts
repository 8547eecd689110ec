import type { EncryptedBallot } from "./ballot";
import { canonicalJson } from "./canonical-json";
import type { ElectionContext } from "./context";
import type { Manifest } from "./manifest";
import { groupBackend, type PointSums } from "./primitives/backend";
import { bytesEqual, u32be, utf8 } from "./primitives/bytes";
import { createDlogTable, smallDiscreteLog } from "./primitives/dlog";
import { type Ciphertext, type NonceSource, encodeCiphertext, readCiphertext } from "./primitives/elgamal";
import { ByteReader, ByteWriter } from "./primitives/encoding";
import {
  baseMul,
  basePoint,
  identity,
  isIdentity,
  pointAdd,
  pointMul,
  pointSub,
  randomScalar,
  type Point,
  type Scalar,
} from "./primitives/group";
import { taggedDigest32 } from "./primitives/hash";
import { lagrangeCoefficientsAtZero } from "./primitives/lagrange";
import {
  type ProofBinding,
  type SigmaProof,
  encodeSigmaProof,
  proveDleq,
  readSigmaProof,
  verifyDleq,
} from "./primitives/proofs";

/**
 * The homomorphic tally (protocol.md section 6): the counted ballots'
 * ciphertexts are added per contest and option; each trustee i publishes
 * M_i = s_i * A per option with a Chaum-Pedersen proof; any t of them combine
 * by Lagrange interpolation to T*G = B - sum lambda_i M_i, and T is recovered by
 * baby-step giant-step.
 */

export const AGGREGATE_MAGIC = utf8("BLA1");
export const DECRYPTION_SHARE_MAGIC = utf8("BLD1");
export const AGGREGATE_TAG = "aggregate";
export const DECRYPTION_SHARE_TAG = "decryption-share";
export const RESULT_TAG = "result";

export interface OptionAggregate {
  optionId: string;
  /** Sum of the counted ballots' ciphertexts for this option ((identity, identity) when none). */
  ciphertext: Ciphertext;
}

export interface ContestAggregate {
  contestId: string;
  /** Number of counted ballots that contain this contest: the bound of every count in it. */
  ballots: number;
  options: OptionAggregate[];
}

/** Every contest of the manifest in manifest order, every option in manifest order. */
export interface Aggregate {
  /** Number of counted ballots. */
  ballots: number;
  contests: ContestAggregate[];
}

export type TallyFailure = { ok: false; reason: string };

/**
 * Upper bound on the ballots of one tally (about 4.3 billion): it bounds the
 * count search, so a hostile aggregate cannot make it run for ever.
 */
export const MAX_TALLY_BALLOTS = 0xffffffff;

// ---------------------------------------------------------------- aggregation

/**
 * Adds verified ballots into per-option sums (protocol.md section 6): the sums
 * live in the backend's PointSums (kept decoded by the native core), two slots
 * per option, A then B, contest after contest in manifest order; one call per
 * contest of a ballot. `remove` takes a ballot out again (a re-vote replaces
 * the voter's earlier ballot): the group is abelian, so the sums are exactly
 * those of the ballots added and not removed, whatever the order.
 */
export class Aggregator {
  private ballots = 0;
  private readonly contestBallots: number[];
  /** First slot of each contest. */
  private readonly firstSlot: number[] = [];
  private readonly contestIndex = new Map<string, number>();
  private readonly sums: PointSums;

  constructor(private readonly manifest: Manifest) {
    let slots = 0;
    manifest.contests.forEach((contest, i) => {
      this.contestIndex.set(contest.id, i);
      this.firstSlot.push(slots);
      slots += 2 * contest.options.length;
    });
    this.contestBallots = manifest.contests.map(() => 0);
    this.sums = groupBackend().pointSums(slots);
  }

  /** Adds one ballot. It must have been verified (verifyBallotProofs) against this manifest. */
  add(ballot: EncryptedBallot): this {
    return this.apply(ballot, 1);
  }

  /** Takes out a ballot added before. */
  remove(ballot: EncryptedBallot): this {
    return this.apply(ballot, -1);
  }

  private apply(ballot: EncryptedBallot, sign: 1 | -1): this {
    const indices = ballot.contests.map((contest) => {
      const index = this.contestIndex.get(contest.contestId);
      if (index === undefined) throw new RangeError(`unknown contest ${contest.contestId}`);
      if (contest.selections.length !== this.manifest.contests[index].options.length)
        throw new RangeError(`contest ${contest.contestId}: wrong number of options`);
      return index;
    });
    ballot.contests.forEach((contest, c) => {
      const points = new Uint8Array(64 * contest.selections.length);
      contest.selections.forEach(({ ciphertext }, j) => {
        points.set(ciphertext.a, 64 * j);
        points.set(ciphertext.b, 64 * j + 32);
      });
      if (sign === 1) this.sums.add(this.firstSlot[indices[c]], points);
      else this.sums.sub(this.firstSlot[indices[c]], points);
      this.contestBallots[indices[c]] += sign;
    });
    this.ballots += sign;
    return this;
  }

  /** Adds a partial aggregate (e.g. one computed by another worker) of the same manifest. */
  merge(part: Aggregate): this {
    if (part.contests.length !== this.contestBallots.length)
      throw new RangeError("aggregate of another manifest");
    part.contests.forEach((contest, i) => {
      if (contest.options.length !== this.manifest.contests[i].options.length)
        throw new RangeError("aggregate of another manifest");
    });
    part.contests.forEach((contest, i) => {
      const points = new Uint8Array(64 * contest.options.length);
      contest.options.forEach(({ ciphertext }, j) => points.set(encodeCiphertext(ciphertext), 64 * j));
      this.sums.add(this.firstSlot[i], points);
      this.contestBallots[i] += contest.ballots;
    });
    this.ballots += part.ballots;
    return this;
  }

  result(): Aggregate {
    const encoded = this.sums.encode();
    return {
      ballots: this.ballots,
      contests: this.manifest.contests.map((contest, i) => ({
        contestId: contest.id,
        ballots: this.contestBallots[i],
        options: contest.options.map((option, j) => {
          const at = 32 * (this.firstSlot[i] + 2 * j);
          return {
            optionId: option.id,
            ciphertext: {
              a: encoded.slice(at, at + 32) as Point,
              b: encoded.slice(at + 32, at + 64) as Point,
            },
          };
        }),
      })),
    };
  }
}

/** The aggregate of a list of verified ballots. */
export function aggregateBallots(context: ElectionContext, ballots: Iterable<EncryptedBallot>): Aggregate {
  const aggregator = new Aggregator(context.manifest);
  for (const ballot of ballots) aggregator.add(ballot);
  return aggregator.result();
}

/**
 * aggregate = "BLA1" || u64(ballots) || for each contest of the manifest:
 *   u64(contest ballots) || for each option: A || B   (identity allowed)
 */
export function encodeAggregate(aggregate: Aggregate): Uint8Array {
  const writer = new ByteWriter().bytes(AGGREGATE_MAGIC).u64(aggregate.ballots);
  for (const contest of aggregate.contests) {
    writer.u64(contest.ballots);
    for (const option of contest.options) writer.bytes(encodeCiphertext(option.ciphertext));
  }
  return writer.finish();
}

export function decodeAggregate(
  context: ElectionContext,
  bytes: Uint8Array,
): { ok: true; aggregate: Aggregate } | TallyFailure {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: "aggregate: not a byte array" };
  const reader = new ByteReader(bytes);
  const magic = reader.bytes(4);
  if (magic === null || !bytesEqual(magic, AGGREGATE_MAGIC))
    return { ok: false, reason: "aggregate: bad magic (expected BLA1)" };
  const total = reader.u64();
  if (total === null) return { ok: false, reason: "aggregate: truncated" };
  if (total > BigInt(MAX_TALLY_BALLOTS)) return { ok: false, reason: "aggregate: ballot count too large" };
  const contests: ContestAggregate[] = [];
  for (const contest of context.manifest.contests) {
    const ballots = reader.u64();
    if (ballots === null) return { ok: false, reason: `aggregate: truncated at contest ${contest.id}` };
    if (ballots > total)
      return { ok: false, reason: `aggregate: contest ${contest.id} counts more ballots than the total` };
    const options: OptionAggregate[] = [];
    for (const option of contest.options) {
      const ciphertext = readCiphertext(reader, { allowIdentity: true });
      if (ciphertext === null)
        return {
          ok: false,
          reason: `aggregate: contest ${contest.id} option ${option.id}: invalid ciphertext`,
        };
      options.push({ optionId: option.id, ciphertext });
    }
    contests.push({ contestId: contest.id, ballots: Number(ballots), options });
  }
  if (!reader.done()) return { ok: false, reason: "aggregate: trailing bytes" };
  return { ok: true, aggregate: { ballots: Number(total), contests } };
}

/** aggregateHash = H32("aggregate"; Q, aggregate bytes): what postDecryptionShare refers to. */
export const aggregateHash = (context: ElectionContext, aggregate: Aggregate): Uint8Array =>
  taggedDigest32(AGGREGATE_TAG, [context.baseHash, encodeAggregate(aggregate)]);

// ---------------------------------------------------------------- decryption shares

export interface OptionDecryptionShare {
  optionId: string;
  /** M_i = s_i * A */
  share: Point;
  /** DLEQ proof: log_G(P_i) = log_A(M_i). */
  proof: SigmaProof;
}

export interface DecryptionShare {
  trusteeIndex: number;
  contests: { contestId: string; options: OptionDecryptionShare[] }[];
}

export type ShareResult = { ok: true; share: DecryptionShare } | TallyFailure;

function shareBinding(
  context: ElectionContext,
  aggHash: Uint8Array,
  trusteeIndex: number,
  contestId: Uint8Array,
  optionId: Uint8Array,
): ProofBinding {
  return {
    tag: DECRYPTION_SHARE_TAG,
    context: [context.baseHash, aggHash, u32be(trusteeIndex), contestId, optionId],
  };
}

function validTrusteeIndex(context: ElectionContext, index: number): boolean {
  return Number.isInteger(index) && index >= 1 && index <= context.manifest.trustees.count;
}

/** Trustee i's share of the decryption of every option, with proofs. */
export function createDecryptionShare(
  context: ElectionContext,
  aggregate: Aggregate,
  trusteeIndex: number,
  secretShare: Scalar,
  nonces: NonceSource = randomScalar,
): { share: DecryptionShare; bytes: Uint8Array } {
  if (!validTrusteeIndex(context, trusteeIndex))
    throw new RangeError(`invalid trustee index ${trusteeIndex}`);
  const aggHash = aggregateHash(context, aggregate);
  const g = basePoint();
  const publicShare = baseMul(secretShare);
  const share: DecryptionShare = {
    trusteeIndex,
    contests: aggregate.contests.map((contest) => {
      const contestId = utf8(contest.contestId);
      return {
        contestId: contest.contestId,
        options: contest.options.map((option) => {
          const a = option.ciphertext.a;
          const m = pointMul(secretShare, a);
          const binding = shareBinding(context, aggHash, trusteeIndex, contestId, utf8(option.optionId));
          const proof = proveDleq(binding, secretShare, { g1: g, h1: publicShare, g2: a, h2: m }, nonces());
          return { optionId: option.optionId, share: m, proof };
        }),
      };
    }),
  };
  return { share, bytes: encodeDecryptionShare(share) };
}

/**
 * share = "BLD1" || u32(trusteeIndex) || for each contest of the manifest, for
 * each option: M_i (identity allowed) || c || z
 */
export function encodeDecryptionShare(share: DecryptionShare): Uint8Array {
  const writer = new ByteWriter().bytes(DECRYPTION_SHARE_MAGIC).u32(share.trusteeIndex);
  for (const contest of share.contests)
    for (const option of contest.options) writer.bytes(option.share).bytes(encodeSigmaProof(option.proof));
  return writer.finish();
}

/** Decodes share bytes against the manifest (structure only; see verifyDecryptionShare). Never throws. */
export function decodeDecryptionShare(context: ElectionContext, bytes: Uint8Array): ShareResult {
  if (!(bytes instanceof Uint8Array)) return { ok: false, reason: "decryption share: not a byte array" };
  const reader = new ByteReader(bytes);
  const magic = reader.bytes(4);
  if (magic === null || !bytesEqual(magic, DECRYPTION_SHARE_MAGIC))
    return { ok: false, reason: "decryption share: bad magic (expected BLD1)" };
  const trusteeIndex = reader.u32();
  if (trusteeIndex === null) return { ok: false, reason: "decryption share: truncated" };
  if (!validTrusteeIndex(context, trusteeIndex))
    return { ok: false, reason: `decryption share: invalid trustee index ${trusteeIndex}` };
  const optionCount = context.manifest.contests.reduce((n, c) => n + c.options.length, 0);
  if (reader.remaining !== optionCount * 96)
    return {
      ok: false,
      reason: `decryption share: ${bytes.length} bytes, the manifest needs ${8 + optionCount * 96}`,
    };
  const contests: DecryptionShare["contests"] = [];
  for (const contest of context.manifest.contests) {
    const options: OptionDecryptionShare[] = [];
    for (const option of contest.options) {
      const share = reader.point({ allowIdentity: true });
      if (share === null)
        return {
          ok: false,
          reason: `decryption share: contest ${contest.id} option ${option.id}: invalid point`,
        };
      const proof = readSigmaProof(reader);
      if (proof === null)
        return {
          ok: false,
          reason: `decryption share: contest ${contest.id} option ${option.id}: non-canonical proof scalar`,
        };
      options.push({ optionId: option.id, share, proof });
    }
    contests.push({ contestId: contest.id, options });
  }
  return { ok: true, share: { trusteeIndex, contests } };
}

/**
 * Verifies trustee `trusteeIndex`'s decryption share against the aggregate and
 * its public key share P_i (from the key ceremony's commitments). Never throws.
 */
export function verifyDecryptionShare(
  context: ElectionContext,
  aggregate: Aggregate,
  trusteeIndex: number,
  publicKeyShare: Point,
  bytes: Uint8Array,
): ShareResult {
  try {
    if (!(publicKeyShare instanceof Uint8Array) || publicKeyShare.length !== 32 || isIdentity(publicKeyShare))
      return { ok: false, reason: "decryption share: invalid public key share" };
    const decoded = decodeDecryptionShare(context, bytes);
    if (!decoded.ok) return decoded;
    const share = decoded.share;
    if (share.trusteeIndex !== trusteeIndex)
      return {
        ok: false,
        reason: `decryption share: made by trustee ${share.trusteeIndex}, expected ${trusteeIndex}`,
      };
    if (aggregate.contests.length !== share.contests.length)
      return { ok: false, reason: "decryption share: aggregate does not match the manifest" };
    const aggHash = aggregateHash(context, aggregate);
    const g = basePoint();
    for (let i = 0; i < share.contests.length; i++) {
      const contest = share.contests[i];
      const aggContest = aggregate.contests[i];
      if (aggContest.contestId !== contest.contestId || aggContest.options.length !== contest.options.length)
        return { ok: false, reason: "decryption share: aggregate does not match the manifest" };
      const contestId = utf8(contest.contestId);
      for (let j = 0; j < contest.options.length; j++) {
        const option = contest.options[j];
        const binding = shareBinding(context, aggHash, trusteeIndex, contestId, utf8(option.optionId));
        const statement = {
          g1: g,
          h1: publicKeyShare,
          g2: aggContest.options[j].ciphertext.a,
          h2: option.share,
        };
        if (!verifyDleq(binding, statement, option.proof))
          return {
            ok: false,
            reason: `decryption share of trustee ${trusteeIndex}: contest ${contest.contestId} option ${option.optionId}: proof fails`,
          };
      }
    }
    return { ok: true, share };
  } catch (error) {
    return { ok: false, reason: `decryption share: malformed (${(error as Error).message})` };
  }
}

// ---------------------------------------------------------------- combination and counts

/** Count per option per contest: { contestId: { optionId: count } }. */
export type TallyResult = Record<string, Record<string, number>>;

/**
 * T*G = B - sum over the given trustees of lambda_i * M_i, per contest and option.
 * The shares must have been verified; at least `threshold` distinct trustees.
 */
export function combineDecryptionShares(
  context: ElectionContext,
  aggregate: Aggregate,
  shares: readonly DecryptionShare[],
): { ok: true; points: Point[][] } | TallyFailure {
  const { threshold } = context.manifest.trustees;
  const indices = shares.map((s) => s.trusteeIndex);
  if (new Set(indices).size !== indices.length)
    return { ok: false, reason: "two shares of the same trustee" };
  if (indices.some((i) => !validTrusteeIndex(context, i)))
    return { ok: false, reason: "invalid trustee index" };
  if (shares.length < threshold)
    return { ok: false, reason: `${shares.length} decryption shares, at least ${threshold} needed` };
  const lambdas = lagrangeCoefficientsAtZero(indices);
  const points = aggregate.contests.map((contest, c) =>
    contest.options.map((option, o) => {
      let combined = identity();
      for (let k = 0; k < shares.length; k++)
        combined = pointAdd(combined, pointMul(lambdas[k], shares[k].contests[c].options[o].share));
      return pointSub(option.ciphertext.b, combined);
    }),
  );
  return { ok: true, points };
}

export interface TallyOutput {
  result: TallyResult;
  /** Canonical JSON bytes of the result: what publishResult carries. */
  bytes: Uint8Array;
  /** resultHash = H32("result"; Q, bytes) */
  hash: Uint8Array;
}

/**
 * Combines verified decryption shares and recovers every count by baby-step
 * giant-step, bounded by the number of ballots that contain the contest.
 */
export function computeTally(
  context: ElectionContext,
  aggregate: Aggregate,
  shares: readonly DecryptionShare[],
): ({ ok: true } & TallyOutput) | TallyFailure {
  const combined = combineDecryptionShares(context, aggregate, shares);
  if (!combined.ok) return combined;
  const maxCount = Math.max(0, ...aggregate.contests.map((c) => c.ballots));
  if (!Number.isSafeInteger(maxCount) || maxCount > MAX_TALLY_BALLOTS)
    return { ok: false, reason: `aggregate: ${maxCount} ballots, above the limit of ${MAX_TALLY_BALLOTS}` };
  const searches = aggregate.contests.reduce((n, c) => n + c.options.length, 0);
  const table = createDlogTable(maxCount, searches);
  const result: TallyResult = {};
  for (let c = 0; c < aggregate.contests.length; c++) {
    const contest = aggregate.contests[c];
    const counts: Record<string, number> = {};
    for (let o = 0; o < contest.options.length; o++) {
      const count = smallDiscreteLog(table, combined.points[c][o]);
      if (count === null || count > contest.ballots)
        return {
          ok: false,
          reason: `contest ${contest.contestId} option ${contest.options[o].optionId}: count not in [0, ${contest.ballots}]`,
        };
      counts[contest.options[o].optionId] = count;
    }
    result[contest.contestId] = counts;
  }
  const bytes = encodeResult(result);
  return { ok: true, result, bytes, hash: resultHash(context, bytes) };
}

/** Canonical JSON (RFC 8785, integers only) of the result, UTF-8. */
export const encodeResult = (result: TallyResult): Uint8Array => utf8(canonicalJson(result));

export const resultHash = (context: ElectionContext, bytes: Uint8Array): Uint8Array =>
  taggedDigest32(RESULT_TAG, [context.baseHash, bytes]);

/**
 * Checks a published result against the aggregate and verified shares: the bytes
 * must be exactly the recomputed canonical result (and so its hash). Never throws.
 */
export function verifyPublishedResult(
  context: ElectionContext,
  aggregate: Aggregate,
  shares: readonly DecryptionShare[],
  publishedBytes: Uint8Array,
  publishedHash?: Uint8Array,
): { ok: true; result: TallyResult } | TallyFailure {
  try {
    const tally = computeTally(context, aggregate, shares);
    if (!tally.ok) return tally;
    if (!bytesEqual(tally.bytes, publishedBytes))
      return { ok: false, reason: "result: published bytes differ from the recomputed result" };
    if (publishedHash !== undefined && !bytesEqual(tally.hash, publishedHash))
      return { ok: false, reason: "result: published hash differs from H32(result; Q, bytes)" };
    return { ok: true, result: tally.result };
  } catch (error) {
    return { ok: false, reason: `result: ${(error as Error).message}` };
  }
}
