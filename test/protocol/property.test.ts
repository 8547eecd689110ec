import { expect } from "chai";
import fc from "fast-check";
import {
  decodeBallot,
  encryptBallot,
  verifyBallotProofs,
  verifyChallenge,
  challengeReveal,
  type BallotChoices,
} from "../../server/protocol/ballot";
import { concatBytes, utf8 } from "../../server/protocol/primitives/bytes";
import {
  encodeDisjunctiveProof,
  proveValueInRange,
  readDisjunctiveProof,
  verifyValueInRange,
} from "../../server/protocol/primitives/disjunctive";
import { encrypt } from "../../server/protocol/primitives/elgamal";
import { ByteReader } from "../../server/protocol/primitives/encoding";
import { baseMul, randomScalar } from "../../server/protocol/primitives/group";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import {
  aggregateBallots,
  createDecryptionShare,
  decodeAggregate,
  verifyDecryptionShare,
  type Aggregate,
} from "../../server/protocol/tally";
import { buildManifest, dummyCredential, nullifierOf, setupElection, type Election } from "./fixtures";

/** Credential bytes (prefix and signature, not their lengths) are opaque to the proofs: the credential module checks them. */
const CREDENTIAL_FIELDS: [number, number][] = [
  [12, 44],
  [48, 304],
];
const inCredential = (offset: number) =>
  CREDENTIAL_FIELDS.some(([from, to]) => offset >= from && offset < to);

describe("protocol: properties (fast-check)", () => {
  let election: Election;
  const contests = [
    { id: "choose-one", options: 4, min: 1, max: 1 },
    { id: "up-to-three", options: 6, min: 0, max: 3 },
    { id: "two-or-three", options: 3, min: 2, max: 3 },
  ];

  before(async () => {
    await initCrypto();
    election = setupElection(
      buildManifest(contests, [
        ["choose-one", "up-to-three"],
        ["two-or-three", "choose-one"],
      ]),
    );
  });

  /** Valid choices for any style: a subset of each contest's options within [min, max]. */
  const validVote = fc.integer({ min: 0, max: 1 }).chain((style) => {
    const ids = election.manifest.ballotStyles[style].contests;
    const perContest = ids.map((id) => {
      const contest = election.manifest.contests.find((c) => c.id === id)!;
      return fc.subarray(
        contest.options.map((o) => o.id),
        { minLength: contest.minSelections, maxLength: contest.maxSelections },
      );
    });
    return fc.tuple(fc.constant(style), fc.tuple(...perContest)).map(([s, selections]) => {
      const choices: Record<string, string[]> = {};
      ids.forEach((id, i) => (choices[id] = selections[i]));
      return { style: s, choices: choices as BallotChoices };
    });
  });

  it("every valid ballot verifies and its Benaloh challenge opens to the choices", function () {
    this.timeout(120_000);
    fc.assert(
      fc.property(validVote, fc.integer({ min: 0, max: 255 }), ({ style, choices }, n) => {
        const out = encryptBallot(election.context, style, choices, nullifierOf(n), dummyCredential(n));
        expect(verifyBallotProofs(election.context, out.bytes, nullifierOf(n)).ok).to.equal(true);
        const opened = verifyChallenge(election.context, out.bytes, challengeReveal(out, choices));
        expect(opened.ok).to.equal(true);
        if (opened.ok)
          for (const [id, selected] of Object.entries(choices))
            expect([...opened.choices[id]].sort()).to.deep.equal([...selected].sort());
      }),
      { numRuns: 25 },
    );
  });

  it("flipping any byte of a ballot makes verification fail with a reason (credential fields aside)", function () {
    this.timeout(120_000);
    const nullifier = nullifierOf(9);
    const { bytes } = encryptBallot(
      election.context,
      0,
      {
        "choose-one": ["choose-one-option-2"],
        "up-to-three": ["up-to-three-option-1", "up-to-three-option-5"],
      },
      nullifier,
      dummyCredential(),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: bytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (offset, mask) => {
          const flipped = bytes.slice();
          flipped[offset] ^= mask;
          const result = verifyBallotProofs(election.context, flipped, nullifier);
          if (inCredential(offset)) {
            expect(result.ok).to.equal(true);
          } else {
            expect(result.ok, `offset ${offset}`).to.equal(false);
            if (!result.ok) expect(result.reason).to.be.a("string").with.length.above(5);
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  it("flipping any byte of an encoded range proof makes it non-canonical or invalid", () => {
    const key = baseMul(randomScalar());
    const r = randomScalar();
    const range = { lo: 1, hi: 4 };
    const binding = { tag: "prop", context: [utf8("x")] };
    const ct = encrypt(key, 3, r);
    const proofBytes = encodeDisjunctiveProof(proveValueInRange(binding, key, ct, 3, r, range));
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: proofBytes.length - 1 }),
        fc.integer({ min: 1, max: 255 }),
        (offset, mask) => {
          const flipped = proofBytes.slice();
          flipped[offset] ^= mask;
          const proof = readDisjunctiveProof(new ByteReader(flipped), 4);
          expect(proof === null || !verifyValueInRange(binding, key, ct, range, proof)).to.equal(true);
        },
      ),
      { numRuns: 100 },
    );
  });

  describe("decryption shares", () => {
    let aggregate: Aggregate;
    let share: Uint8Array;
    before(() => {
      const ballots = [0, 1, 2].map((i) => {
        const { bytes } = encryptBallot(
          election.context,
          1,
          {
            "two-or-three": ["two-or-three-option-1", "two-or-three-option-3"],
            "choose-one": ["choose-one-option-1"],
          },
          nullifierOf(i),
          dummyCredential(),
        );
        const decoded = decodeBallot(election.context, bytes);
        if (!decoded.ok) throw new Error(decoded.reason);
        return decoded.ballot;
      });
      aggregate = aggregateBallots(election.context, ballots);
      share = createDecryptionShare(election.context, aggregate, 4, election.trustees.secretShares[3]).bytes;
    });

    it("flipping any byte of a decryption share makes verification fail with a reason", function () {
      this.timeout(120_000);
      const publicShare = election.trustees.publicShares[3];
      expect(verifyDecryptionShare(election.context, aggregate, 4, publicShare, share).ok).to.equal(true);
      fc.assert(
        fc.property(
          fc.integer({ min: 0, max: share.length - 1 }),
          fc.integer({ min: 1, max: 255 }),
          (offset, mask) => {
            const flipped = share.slice();
            flipped[offset] ^= mask;
            const result = verifyDecryptionShare(election.context, aggregate, 4, publicShare, flipped);
            expect(result.ok, `offset ${offset}`).to.equal(false);
            if (!result.ok) expect(result.reason).to.be.a("string");
          },
        ),
        { numRuns: 200 },
      );
    });
  });

  it("hostile bytes never throw from any decoder or verifier", function () {
    this.timeout(120_000);
    const header = concatBytes(utf8("BLB1"), new Uint8Array([0, 0, 0, 0, 0, 0, 0, 32]));
    const anyBytes = fc.oneof(
      fc.uint8Array({ maxLength: 2048 }),
      fc.uint8Array({ minLength: 1200, maxLength: 2400 }).map((tail) => concatBytes(header, tail)),
    );
    const empty = aggregateBallots(election.context, []);
    fc.assert(
      fc.property(anyBytes, fc.anything(), (bytes, junk) => {
        expect(() => {
          decodeBallot(election.context, bytes);
          verifyBallotProofs(election.context, bytes, nullifierOf(1));
          verifyBallotProofs(election.context, bytes, junk as Uint8Array);
          verifyChallenge(election.context, bytes, junk);
          verifyDecryptionShare(election.context, empty, 1, election.trustees.publicShares[0], bytes);
          decodeAggregate(election.context, bytes);
        }).to.not.throw();
      }),
      { numRuns: 300 },
    );
  });
});
