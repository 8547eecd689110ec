import { expect } from "chai";
import {
  decodeBallot,
  encryptBallot,
  type BallotChoices,
  type EncryptedBallot,
} from "../../server/protocol/ballot";
import { bytesEqual, concatBytes, u32be, utf8 } from "../../server/protocol/primitives/bytes";
import { encodePlaintext, encrypt } from "../../server/protocol/primitives/elgamal";
import {
  identity,
  isIdentity,
  pointEquals,
  scalarAdd,
  scalarFromInt,
} from "../../server/protocol/primitives/group";
import { taggedDigest32 } from "../../server/protocol/primitives/hash";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { publicKeyShare } from "../../server/protocol/ceremony";
import {
  Aggregator,
  aggregateBallots,
  aggregateHash,
  combineDecryptionShares,
  computeTally,
  createDecryptionShare,
  decodeAggregate,
  decodeDecryptionShare,
  encodeAggregate,
  encodeDecryptionShare,
  encodeResult,
  resultHash,
  verifyDecryptionShare,
  verifyPublishedResult,
  type Aggregate,
  type DecryptionShare,
} from "../../server/protocol/tally";
import { buildManifest, dummyCredential, nullifierOf, setupElection, type Election } from "./fixtures";

const manifest = () =>
  buildManifest(
    [
      { id: "party-list", options: 3, min: 1, max: 1 },
      { id: "district-1", options: 2, min: 0, max: 1 },
      { id: "district-2", options: ["x", "y", "z"], min: 1, max: 2 },
    ],
    [
      ["party-list", "district-1"],
      ["party-list", "district-2"],
    ],
    { count: 5, threshold: 3 },
  );

const combinations = (items: number[], k: number): number[][] =>
  k === 0
    ? [[]]
    : items.flatMap((item, i) => combinations(items.slice(i + 1), k - 1).map((rest) => [item, ...rest]));

describe("protocol: tally", () => {
  let election: Election;
  let ballots: EncryptedBallot[];
  let aggregate: Aggregate;
  const expected = {
    "party-list": { "party-list-option-1": 3, "party-list-option-2": 1, "party-list-option-3": 2 },
    "district-1": { "district-1-option-1": 1, "district-1-option-2": 1 },
    "district-2": { x: 2, y: 0, z: 2 },
  };

  const shareOf = (index: number, agg = aggregate) =>
    createDecryptionShare(election.context, agg, index, election.trustees.secretShares[index - 1]);
  const verifyShare = (index: number, bytes: Uint8Array, agg = aggregate) =>
    verifyDecryptionShare(election.context, agg, index, election.trustees.publicShares[index - 1], bytes);

  before(async () => {
    await initCrypto();
    election = setupElection(manifest());
    const votes: [number, BallotChoices][] = [
      [0, { "party-list": ["party-list-option-1"], "district-1": ["district-1-option-2"] }],
      [0, { "party-list": ["party-list-option-3"], "district-1": [] }],
      [0, { "party-list": ["party-list-option-1"], "district-1": ["district-1-option-1"] }],
      [1, { "party-list": ["party-list-option-2"], "district-2": ["x", "z"] }],
      [1, { "party-list": ["party-list-option-1"], "district-2": ["z"] }],
      [1, { "party-list": ["party-list-option-3"], "district-2": ["x"] }],
    ];
    ballots = votes.map(([style, choices], i) => {
      const { bytes } = encryptBallot(
        election.context,
        style,
        choices,
        nullifierOf(i + 1),
        dummyCredential(),
      );
      const decoded = decodeBallot(election.context, bytes);
      if (!decoded.ok) throw new Error(decoded.reason);
      return decoded.ballot;
    });
    aggregate = aggregateBallots(election.context, ballots);
  });

  it("the simulated ceremony's public shares match the commitments", () => {
    for (let i = 1; i <= 5; i++)
      expect(
        pointEquals(publicKeyShare(election.trustees.commitments, i), election.trustees.publicShares[i - 1]),
      ).to.equal(true);
  });

  describe("aggregation", () => {
    it("sums per contest and option across styles; counts ballots per contest", () => {
      expect(aggregate.ballots).to.equal(6);
      expect(aggregate.contests.map((c) => [c.contestId, c.ballots])).to.deep.equal([
        ["party-list", 6],
        ["district-1", 3],
        ["district-2", 3],
      ]);
    });

    it("is independent of order and of splitting into partial aggregates", () => {
      const reversed = aggregateBallots(election.context, [...ballots].reverse());
      expect(bytesEqual(encodeAggregate(reversed), encodeAggregate(aggregate))).to.equal(true);
      const left = aggregateBallots(election.context, ballots.slice(0, 2));
      const right = aggregateBallots(election.context, ballots.slice(2));
      const merged = new Aggregator(election.manifest).merge(left).merge(right).result();
      expect(bytesEqual(encodeAggregate(merged), encodeAggregate(aggregate))).to.equal(true);
    });

    it("the empty aggregate is all identities and tallies to zero", () => {
      const empty = aggregateBallots(election.context, []);
      expect(empty.contests.every((c) => c.options.every((o) => isIdentity(o.ciphertext.a)))).to.equal(true);
      const decoded = decodeAggregate(election.context, encodeAggregate(empty));
      expect(decoded.ok).to.equal(true);
      const shares = [1, 2, 3].map((i) => {
        const result = verifyShare(i, shareOf(i, empty).bytes, empty);
        if (!result.ok) throw new Error(result.reason);
        return result.share;
      });
      const tally = computeTally(election.context, empty, shares);
      expect(tally.ok && tally.result).to.deep.equal({
        "party-list": { "party-list-option-1": 0, "party-list-option-2": 0, "party-list-option-3": 0 },
        "district-1": { "district-1-option-1": 0, "district-1-option-2": 0 },
        "district-2": { x: 0, y: 0, z: 0 },
      });
    });

    it("encodes and decodes; hostile aggregate bytes give reasons", () => {
      const bytes = encodeAggregate(aggregate);
      expect(bytes.length).to.equal(4 + 8 + 3 * 8 + 8 * 64);
      const decoded = decodeAggregate(election.context, bytes);
      expect(decoded.ok && bytesEqual(encodeAggregate(decoded.aggregate), bytes)).to.equal(true);
      expect(
        bytesEqual(
          aggregateHash(election.context, aggregate),
          taggedDigest32("aggregate", [election.context.baseHash, bytes]),
        ),
      ).to.equal(true);
      const reason = (b: Uint8Array) => {
        const r = decodeAggregate(election.context, b);
        return r.ok ? "ok" : r.reason;
      };
      expect(reason(bytes.subarray(0, 10))).to.equal("aggregate: truncated");
      expect(reason(concatBytes(bytes, new Uint8Array(1)))).to.equal("aggregate: trailing bytes");
      expect(reason(concatBytes(utf8("BLA2"), bytes.subarray(4)))).to.equal(
        "aggregate: bad magic (expected BLA1)",
      );
      const badPoint = bytes.slice();
      badPoint.fill(0xff, 20, 52);
      expect(reason(badPoint)).to.equal(
        "aggregate: contest party-list option party-list-option-1: invalid ciphertext",
      );
      const tooMany = bytes.slice();
      tooMany[19] = 7;
      expect(reason(tooMany)).to.equal("aggregate: contest party-list counts more ballots than the total");
      const huge = bytes.slice();
      huge[7] = 1; // total = 2^32 + 6
      expect(reason(huge)).to.equal("aggregate: ballot count too large");
    });

    it("refuses a ballot of another manifest", () => {
      const other = setupElection(buildManifest([{ id: "elsewhere", options: 2, min: 1, max: 1 }]));
      const { bytes } = encryptBallot(
        other.context,
        0,
        { elsewhere: ["elsewhere-option-1"] },
        nullifierOf(1),
        dummyCredential(),
      );
      const decoded = decodeBallot(other.context, bytes);
      if (!decoded.ok) throw new Error(decoded.reason);
      expect(() => new Aggregator(election.manifest).add(decoded.ballot)).to.throw(
        "unknown contest elsewhere",
      );
    });
  });

  describe("threshold decryption", () => {
    let shares: Map<number, DecryptionShare>;
    let shareBytes: Map<number, Uint8Array>;

    before(() => {
      shares = new Map();
      shareBytes = new Map();
      for (let i = 1; i <= 5; i++) {
        const { bytes } = shareOf(i);
        const verified = verifyShare(i, bytes);
        if (!verified.ok) throw new Error(verified.reason);
        shares.set(i, verified.share);
        shareBytes.set(i, bytes);
      }
    });

    it("every 3 of 5 trustees (each of the 10 combinations of 2 absent), 4 and 5 of 5 give the same result", () => {
      const subsets = [...combinations([1, 2, 3, 4, 5], 3), [1, 2, 4, 5], [1, 2, 3, 4, 5]];
      for (const subset of subsets) {
        const tally = computeTally(
          election.context,
          aggregate,
          subset.map((i) => shares.get(i)!),
        );
        expect(tally.ok, subset.join(",")).to.equal(true);
        if (!tally.ok) continue;
        expect(tally.result).to.deep.equal(expected);
        expect(new TextDecoder().decode(tally.bytes)).to.equal(
          '{"district-1":{"district-1-option-1":1,"district-1-option-2":1},"district-2":{"x":2,"y":0,"z":2},' +
            '"party-list":{"party-list-option-1":3,"party-list-option-2":1,"party-list-option-3":2}}',
        );
        expect(
          bytesEqual(tally.hash, taggedDigest32("result", [election.context.baseHash, tally.bytes])),
        ).to.equal(true);
        expect(bytesEqual(tally.hash, resultHash(election.context, encodeResult(tally.result)))).to.equal(
          true,
        );
      }
    });

    it("fewer than t shares, duplicates and bad indices are refused", () => {
      const two = [shares.get(1)!, shares.get(4)!];
      expect(combineDecryptionShares(election.context, aggregate, two)).to.deep.equal({
        ok: false,
        reason: "2 decryption shares, at least 3 needed",
      });
      expect(computeTally(election.context, aggregate, [...two, shares.get(1)!])).to.deep.equal({
        ok: false,
        reason: "two shares of the same trustee",
      });
      expect(
        computeTally(election.context, aggregate, [...two, { ...shares.get(2)!, trusteeIndex: 9 }]),
      ).to.deep.equal({ ok: false, reason: "invalid trustee index" });
    });

    it("a hostile aggregate cannot make the count search unbounded", () => {
      const hostile = { ...aggregate, contests: aggregate.contests.map((c) => ({ ...c, ballots: 2 ** 40 })) };
      expect(
        computeTally(
          election.context,
          hostile,
          [1, 2, 3].map((i) => shares.get(i)!),
        ),
      ).to.deep.equal({
        ok: false,
        reason: "aggregate: 1099511627776 ballots, above the limit of 4294967295",
      });
    });

    it("share encoding round-trips and has the documented size", () => {
      const bytes = shareBytes.get(2)!;
      expect(bytes.length).to.equal(8 + 8 * 96);
      expect(bytes.subarray(4, 8)).to.deep.equal(u32be(2));
      const decoded = decodeDecryptionShare(election.context, bytes);
      expect(decoded.ok && bytesEqual(encodeDecryptionShare(decoded.share), bytes)).to.equal(true);
    });

    it("detects a wrong decryption share", () => {
      const { context, trustees } = election;
      const bytes = shareBytes.get(3)!;
      // M replaced by another point (e.g. a share computed with a wrong secret).
      const wrongSecret = createDecryptionShare(
        context,
        aggregate,
        3,
        scalarAdd(trustees.secretShares[2], scalarFromInt(1)),
      );
      expect(verifyShare(3, wrongSecret.bytes)).to.deep.equal({
        ok: false,
        reason: "decryption share of trustee 3: contest party-list option party-list-option-1: proof fails",
      });
      // A share substituted in one place only.
      const swapped = bytes.slice();
      swapped.set(wrongSecret.bytes.subarray(8 + 96 * 4, 8 + 96 * 5), 8 + 96 * 4);
      expect(verifyShare(3, swapped)).to.deep.equal({
        ok: false,
        reason: "decryption share of trustee 3: contest district-1 option district-1-option-2: proof fails",
      });
      // Trustee 3's share presented as trustee 4's, or checked against another key share.
      expect(verifyShare(4, bytes)).to.deep.equal({
        ok: false,
        reason: "decryption share: made by trustee 3, expected 4",
      });
      const relabelled = bytes.slice();
      relabelled.set(u32be(4), 4);
      expect(verifyShare(4, relabelled).ok).to.equal(false);
      expect(verifyDecryptionShare(context, aggregate, 3, trustees.publicShares[0], bytes).ok).to.equal(
        false,
      );
      expect(verifyDecryptionShare(context, aggregate, 3, identity(), bytes)).to.deep.equal({
        ok: false,
        reason: "decryption share: invalid public key share",
      });
      // A share of another aggregate (one more ballot) fails against this one.
      const bigger = aggregateBallots(context, [...ballots, ballots[0]]);
      expect(verifyShare(3, shareOf(3, bigger).bytes).ok).to.equal(false);
      // The combined result with an unverified wrong share is garbage: counts are not found.
      const decodedWrong = decodeDecryptionShare(context, wrongSecret.bytes);
      if (!decodedWrong.ok) throw new Error(decodedWrong.reason);
      const garbage = computeTally(context, aggregate, [shares.get(1)!, shares.get(2)!, decodedWrong.share]);
      expect(garbage.ok).to.equal(false);
    });

    it("hostile share bytes give reasons, never exceptions", () => {
      const bytes = shareBytes.get(1)!;
      const reason = (b: Uint8Array) => {
        const r = verifyShare(1, b);
        return r.ok ? "ok" : r.reason;
      };
      expect(reason(new Uint8Array(0))).to.equal("decryption share: bad magic (expected BLD1)");
      expect(reason(bytes.subarray(0, 6))).to.equal("decryption share: truncated");
      expect(reason(bytes.subarray(0, bytes.length - 1))).to.match(/the manifest needs 776$/);
      const zeroIndex = bytes.slice();
      zeroIndex.set(u32be(0), 4);
      expect(reason(zeroIndex)).to.equal("decryption share: invalid trustee index 0");
      const badPoint = bytes.slice();
      badPoint.fill(0xff, 8, 40);
      expect(reason(badPoint)).to.equal(
        "decryption share: contest party-list option party-list-option-1: invalid point",
      );
      const badScalar = bytes.slice();
      badScalar.fill(0xff, 40, 72);
      expect(reason(badScalar)).to.equal(
        "decryption share: contest party-list option party-list-option-1: non-canonical proof scalar",
      );
      expect(verifyShare(1, null as unknown as Uint8Array).ok).to.equal(false);
    });

    it("checks a published result", () => {
      const present = [2, 3, 5].map((i) => shares.get(i)!);
      const tally = computeTally(election.context, aggregate, present);
      if (!tally.ok) throw new Error(tally.reason);
      expect(
        verifyPublishedResult(election.context, aggregate, present, tally.bytes, tally.hash),
      ).to.deep.equal({
        ok: true,
        result: expected,
      });
      const altered = encodeResult({ ...expected, "district-2": { x: 2, y: 1, z: 1 } });
      expect(verifyPublishedResult(election.context, aggregate, present, altered)).to.deep.equal({
        ok: false,
        reason: "result: published bytes differ from the recomputed result",
      });
      expect(
        verifyPublishedResult(election.context, aggregate, present, tally.bytes, new Uint8Array(32)),
      ).to.deep.equal({
        ok: false,
        reason: "result: published hash differs from H32(result; Q, bytes)",
      });
    });

    it("recovers counts at the bound and T = 0 in a large synthetic tally", () => {
      // One contest option at 1,000,000 (every ballot), another at 0: aggregate built directly.
      const { context, trustees } = election;
      const big = 1_000_000;
      const synthetic: Aggregate = {
        ballots: big,
        contests: aggregate.contests.map((contest) => ({
          ...contest,
          ballots: big,
          options: contest.options.map((option, j) => ({
            optionId: option.optionId,
            ciphertext: encrypt(context.jointKey, j === 0 ? big : 0),
          })),
        })),
      };
      const present = [1, 4, 5].map((i) => {
        const r = verifyDecryptionShare(
          context,
          synthetic,
          i,
          trustees.publicShares[i - 1],
          createDecryptionShare(context, synthetic, i, trustees.secretShares[i - 1]).bytes,
        );
        if (!r.ok) throw new Error(r.reason);
        return r.share;
      });
      const tally = computeTally(context, synthetic, present);
      expect(tally.ok && tally.result["party-list"]).to.deep.equal({
        "party-list-option-1": big,
        "party-list-option-2": 0,
        "party-list-option-3": 0,
      });
    });

    it("combination is B - sum lambda_i M_i = T*G", () => {
      const combined = combineDecryptionShares(
        election.context,
        aggregate,
        [5, 1, 3].map((i) => shares.get(i)!),
      );
      if (!combined.ok) throw new Error(combined.reason);
      const counts = Object.values(expected).flatMap((c) => Object.values(c));
      expect(combined.points.flat().map((p, k) => pointEquals(p, encodePlaintext(counts[k])))).to.deep.equal(
        counts.map(() => true),
      );
    });
  });
});
