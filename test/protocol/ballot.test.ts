import { keccak_256 } from "@noble/hashes/sha3.js";
import { expect } from "chai";
import {
  BALLOT_OPTION_TAG,
  BallotChoiceError,
  MAX_BALLOT_BYTES,
  ballotHash,
  ballotSize,
  challengeReveal,
  decodeBallot,
  encodeBallot,
  encryptBallot,
  normalizeTrackingCode,
  seededNonceSource,
  trackingCode,
  validateChoices,
  verifyBallotProofs,
  verifyChallenge,
  type BallotChoices,
  type EncryptedBallot,
} from "../../server/protocol/ballot";
import { electionContext } from "../../server/protocol/context";
import { bytesEqual, concatBytes, toHex, u32be, utf8 } from "../../server/protocol/primitives/bytes";
import { ZERO_ONE, proveValueInRange } from "../../server/protocol/primitives/disjunctive";
import { encrypt } from "../../server/protocol/primitives/elgamal";
import { randomScalar, scalarAdd } from "../../server/protocol/primitives/group";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import {
  CHAIN_ID,
  ELECTION,
  buildManifest,
  dummyCredential,
  nullifierOf,
  setupElection,
  type Election,
} from "./fixtures";

const manifest = () =>
  buildManifest(
    [
      { id: "party-list", options: 5, min: 1, max: 1 },
      { id: "council", options: 4, min: 0, max: 2 },
      { id: "all-three", options: ["a", "b", "c"], min: 3, max: 3 },
    ],
    [
      ["party-list", "council"],
      ["council", "party-list", "all-three"],
      ["all-three"],
      ["party-list", "council"],
    ],
  );

const P = (i: number) => `party-list-option-${i}`;
const C = (i: number) => `council-option-${i}`;

describe("protocol: ballot", () => {
  let election: Election;
  const n1 = nullifierOf(0x11);
  const n2 = nullifierOf(0x22);
  const credential = dummyCredential();

  before(async () => {
    await initCrypto();
    election = setupElection(manifest());
  });

  const encrypt0 = (
    choices: BallotChoices = { "party-list": [P(2)], council: [C(1), C(4)] },
    nullifier = n1,
  ) => encryptBallot(election.context, 0, choices, nullifier, credential);

  describe("encryption and encoding", () => {
    it("round-trips every style: encrypt, decode, re-encode, verify", () => {
      const cases: [number, BallotChoices][] = [
        [0, { "party-list": [P(1)], council: [] }],
        [0, { "party-list": [P(5)], council: [C(2), C(3)] }],
        [1, { council: [C(4)], "party-list": [P(3)], "all-three": ["a", "b", "c"] }],
        [2, { "all-three": ["c", "a", "b"] }],
      ];
      for (const [style, choices] of cases) {
        const out = encryptBallot(election.context, style, choices, n1, credential);
        expect(out.bytes.length).to.equal(ballotSize(election.manifest, style, 256));
        const decoded = decodeBallot(election.context, out.bytes);
        expect(decoded.ok).to.equal(true);
        if (!decoded.ok) return;
        expect(bytesEqual(encodeBallot(decoded.ballot), out.bytes)).to.equal(true);
        const verified = verifyBallotProofs(election.context, out.bytes, n1);
        expect(verified, JSON.stringify(choices)).to.deep.equal({ ok: true, ballot: decoded.ballot });
        expect(verifyBallotProofs(election.context, out.ballot, toHex(n1)).ok).to.equal(true);
      }
    });

    it("has the documented layout", () => {
      const out = encrypt0();
      const bytes = out.bytes;
      expect(new TextDecoder().decode(bytes.subarray(0, 4))).to.equal("BLB1");
      expect(bytes.subarray(4, 8)).to.deep.equal(u32be(0));
      expect(bytes.subarray(8, 12)).to.deep.equal(u32be(32));
      expect(bytes.subarray(12, 44)).to.deep.equal(credential.messagePrefix);
      expect(bytes.subarray(44, 48)).to.deep.equal(u32be(256));
      expect(bytes.subarray(48, 304)).to.deep.equal(credential.signature);
      // party-list: 5 * 192 + 64; council: 4 * 192 + 3 * 64
      expect(bytes.length).to.equal(304 + 5 * 192 + 64 + 4 * 192 + 3 * 64);
      const first = out.ballot.contests[0].selections[0];
      expect(bytes.subarray(304, 336)).to.deep.equal(first.ciphertext.a);
      expect(bytes.subarray(336, 368)).to.deep.equal(first.ciphertext.b);
      expect(bytes.subarray(368, 400)).to.deep.equal(first.proof.challenges[0]);
      expect(bytes.subarray(400, 432)).to.deep.equal(first.proof.challenges[1]);
      expect(bytes.subarray(432, 464)).to.deep.equal(first.proof.responses[0]);
      expect(bytes.subarray(464, 496)).to.deep.equal(first.proof.responses[1]);
      const sizeWith384 = encryptBallot(
        election.context,
        2,
        { "all-three": ["a", "b", "c"] },
        n1,
        dummyCredential(2, 384),
      );
      expect(sizeWith384.bytes.length).to.equal(48 + 384 + 3 * 192 + 64);
    });

    it("is deterministic with an injected nonce source", () => {
      const a = encryptBallot(
        election.context,
        0,
        { "party-list": [P(1)], council: [] },
        n1,
        credential,
        seededNonceSource("x"),
      );
      const b = encryptBallot(
        election.context,
        0,
        { "party-list": [P(1)], council: [] },
        n1,
        credential,
        seededNonceSource("x"),
      );
      const c = encryptBallot(
        election.context,
        0,
        { "party-list": [P(1)], council: [] },
        n1,
        credential,
        seededNonceSource("y"),
      );
      expect(bytesEqual(a.bytes, b.bytes)).to.equal(true);
      expect(bytesEqual(a.bytes, c.bytes)).to.equal(false);
    });

    it("validates choices against the manifest with clear errors", () => {
      const m = election.manifest;
      const cases: [number, unknown, string][] = [
        [9, {}, "unknown ballot style 9"],
        [0, { "party-list": [P(1)] }, "contest council: no choice given"],
        [
          0,
          { "party-list": [P(1)], council: [], "all-three": [] },
          "contest all-three is not on ballot style 0",
        ],
        [0, { "party-list": ["nobody"], council: [] }, "contest party-list: unknown option nobody"],
        [
          0,
          { "party-list": [P(1)], council: [C(1), C(1)] },
          "contest council: option council-option-1 selected twice",
        ],
        [0, { "party-list": [], council: [] }, "contest party-list: 0 selected, at least 1 required"],
        [0, { "party-list": [P(1), P(2)], council: [] }, "contest party-list: 2 selected, at most 1 allowed"],
        [
          0,
          { "party-list": [P(1)], council: [C(1), C(2), C(3)] },
          "contest council: 3 selected, at most 2 allowed",
        ],
        [2, { "all-three": ["a", "b"] }, "contest all-three: 2 selected, at least 3 required"],
        [0, { "party-list": P(1), council: [] }, "contest party-list: choices must be a list"],
        [0, null, "choices must be an object"],
      ];
      for (const [style, choices, reason] of cases) {
        expect(validateChoices(m, style, choices as BallotChoices)).to.deep.equal({ ok: false, reason });
        expect(() => encryptBallot(election.context, style, choices as BallotChoices, n1, credential))
          .to.throw(BallotChoiceError)
          .with.property("message", reason);
      }
    });

    it("refuses a malformed nullifier or credential, and a ballot above the size limit", () => {
      const choices = { "party-list": [P(1)], council: [] };
      expect(() => encryptBallot(election.context, 0, choices, new Uint8Array(31), credential)).to.throw(
        "nullifier must be 32 bytes",
      );
      expect(() =>
        encryptBallot(election.context, 0, choices, n1, { ...credential, messagePrefix: new Uint8Array(31) }),
      ).to.throw("credential: prefix is 31 bytes, must be 32");
      expect(() =>
        encryptBallot(election.context, 0, choices, n1, { ...credential, signature: new Uint8Array(255) }),
      ).to.throw("credential: signature is 255 bytes, must be 256, 384 or 512");
      const huge = setupElection(
        buildManifest([
          { id: "x", options: 64, min: 0, max: 64 },
          { id: "y", options: 64, min: 0, max: 64 },
        ]),
      );
      expect(ballotSize(huge.manifest, 0, 256)).to.be.above(MAX_BALLOT_BYTES);
      expect(() => encryptBallot(huge.context, 0, { x: [], y: [] }, n1, credential)).to.throw(
        /above the limit/,
      );
    });
  });

  describe("decoding rejections (never throws)", () => {
    const reasonOf = (bytes: Uint8Array) => {
      const result = decodeBallot(election.context, bytes);
      expect(result.ok).to.equal(false);
      return result.ok ? "" : result.reason;
    };

    it("rejects each malformed field with its reason", () => {
      const good = encrypt0().bytes;
      const patched = (offset: number, value: Uint8Array) => {
        const copy = good.slice();
        copy.set(value, offset);
        return copy;
      };
      expect(reasonOf(new Uint8Array(0))).to.equal("ballot: bad magic (expected BLB1)");
      expect(reasonOf(patched(0, utf8("BLB2")))).to.equal("ballot: bad magic (expected BLB1)");
      expect(reasonOf(good.subarray(0, 6))).to.equal("ballot: truncated before the style index");
      expect(reasonOf(patched(4, u32be(4)))).to.equal("ballot: unknown ballot style 4");
      expect(reasonOf(patched(4, u32be(0xffffffff)))).to.equal("ballot: unknown ballot style 4294967295");
      expect(reasonOf(good.subarray(0, 10))).to.equal("ballot: truncated in the credential");
      expect(reasonOf(patched(8, u32be(31)))).to.equal("ballot: credential prefix length 31, must be 32");
      expect(reasonOf(patched(44, u32be(300)))).to.equal(
        "ballot: credential signature length 300, must be 256, 384 or 512",
      );
      expect(reasonOf(good.subarray(0, 100))).to.equal("ballot: truncated in the credential");
      expect(reasonOf(good.subarray(0, good.length - 1))).to.match(
        /^ballot: \d+ bytes, ballot style 0 with a 256-byte signature needs \d+$/,
      );
      expect(reasonOf(concatBytes(good, new Uint8Array(1)))).to.match(/needs/);
      expect(reasonOf(patched(4, u32be(2)))).to.match(/ballot style 2 .* needs/);
      expect(reasonOf(new Uint8Array(MAX_BALLOT_BYTES + 1))).to.equal(
        `ballot: ${MAX_BALLOT_BYTES + 1} bytes, above the limit of ${MAX_BALLOT_BYTES}`,
      );
      // Points: invalid encoding, identity.
      expect(reasonOf(patched(304, new Uint8Array(32).fill(0xff)))).to.equal(
        "contest party-list option party-list-option-1: ciphertext is not two valid non-identity points",
      );
      expect(reasonOf(patched(336, new Uint8Array(32)))).to.equal(
        "contest party-list option party-list-option-1: ciphertext is not two valid non-identity points",
      );
      // Scalars: >= q.
      expect(reasonOf(patched(368, new Uint8Array(32).fill(0xff)))).to.equal(
        "contest party-list option party-list-option-1: 0/1 proof has a non-canonical scalar",
      );
      const rangeOffset = 304 + 5 * 192;
      expect(reasonOf(patched(rangeOffset + 32, new Uint8Array(32).fill(0xff)))).to.equal(
        "contest party-list: range proof has a non-canonical scalar",
      );
      expect(decodeBallot(election.context, "not bytes" as unknown as Uint8Array)).to.deep.equal({
        ok: false,
        reason: "ballot: not a byte array",
      });
    });
  });

  describe("proof verification", () => {
    it("binds the nullifier: the same bytes under another nullifier fail", () => {
      const { bytes } = encrypt0();
      expect(verifyBallotProofs(election.context, bytes, n2)).to.deep.equal({
        ok: false,
        reason: "contest party-list option party-list-option-1: 0/1 proof fails",
      });
      expect(verifyBallotProofs(election.context, bytes, new Uint8Array(20))).to.deep.equal({
        ok: false,
        reason: "nullifier must be 32 bytes",
      });
      expect(verifyBallotProofs(election.context, bytes, "0x1234")).to.deep.equal({
        ok: false,
        reason: "nullifier must be 32 bytes",
      });
    });

    it("a ciphertext and proof copied into another ballot (other nullifier) fail", () => {
      const victim = encrypt0({ "party-list": [P(3)], council: [] }, n1).bytes;
      const attacker = encrypt0({ "party-list": [P(1)], council: [] }, n2).bytes;
      const forged = attacker.slice();
      const optionOffset = 304 + 2 * 192;
      forged.set(victim.subarray(optionOffset, optionOffset + 192), optionOffset);
      expect(verifyBallotProofs(election.context, forged, n2)).to.deep.equal({
        ok: false,
        reason: "contest party-list option party-list-option-3: 0/1 proof fails",
      });
      // Even the whole body copied under the attacker's nullifier fails.
      const body = concatBytes(attacker.subarray(0, 304), victim.subarray(304));
      expect(verifyBallotProofs(election.context, body, n2).ok).to.equal(false);
      // Re-using the victim's complete bytes is harmless: they verify only under the victim's nullifier.
      expect(verifyBallotProofs(election.context, victim, n1).ok).to.equal(true);
    });

    it("a ciphertext and proof moved to another option, contest or style fail", () => {
      const { bytes } = encrypt0({ "party-list": [P(1)], council: [C(1)] });
      const swapped = bytes.slice();
      swapped.set(bytes.subarray(304, 496), 304 + 192);
      swapped.set(bytes.subarray(304 + 192, 304 + 384), 304);
      expect(verifyBallotProofs(election.context, swapped, n1)).to.deep.equal({
        ok: false,
        reason: "contest party-list option party-list-option-1: 0/1 proof fails",
      });
      const councilOffset = 304 + 5 * 192 + 64;
      const moved = bytes.slice();
      moved.set(bytes.subarray(councilOffset, councilOffset + 192), 304);
      expect(verifyBallotProofs(election.context, moved, n1)).to.deep.equal({
        ok: false,
        reason: "contest party-list option party-list-option-1: 0/1 proof fails",
      });
      // Style 3 has exactly the layout of style 0: relabelling the style breaks every proof.
      const relabelled = bytes.slice();
      relabelled.set(u32be(3), 4);
      expect(decodeBallot(election.context, relabelled).ok).to.equal(true);
      expect(verifyBallotProofs(election.context, relabelled, n1)).to.deep.equal({
        ok: false,
        reason: "contest party-list option party-list-option-1: 0/1 proof fails",
      });
    });

    it("the same ballot under another election (base hash) fails", () => {
      const { bytes } = encrypt0();
      const other = electionContext(
        { chainId: CHAIN_ID + 1n, election: ELECTION },
        election.manifest,
        election.trustees.jointKey,
        election.trustees.commitments,
      );
      expect(verifyBallotProofs(other, bytes, n1).ok).to.equal(false);
    });

    it("a contest with too many selections fails its range proof", () => {
      // Two options set to 1 in a choose-exactly-1 contest: each 0/1 proof is honest,
      // the range proof is taken from an honest ballot.
      const { context } = election;
      const honest = encrypt0({ "party-list": [P(1)], council: [] });
      const contest = honest.ballot.contests[0];
      const selections = contest.selections.map((selection, j) => {
        const value = j < 2 ? 1 : 0;
        const r = randomScalar();
        const ciphertext = encrypt(context.jointKey, value, r);
        const proof = proveValueInRange(
          {
            tag: BALLOT_OPTION_TAG,
            context: [context.baseHash, n1, u32be(0), utf8("party-list"), utf8(selection.optionId)],
          },
          context.jointKey,
          ciphertext,
          value,
          r,
          ZERO_ONE,
        );
        return { optionId: selection.optionId, ciphertext, proof };
      });
      const forged: EncryptedBallot = {
        ...honest.ballot,
        contests: [{ ...contest, selections }, honest.ballot.contests[1]],
      };
      const expected = {
        ok: false,
        reason: "contest party-list: range proof fails (selections must be in [1, 1])",
      };
      expect(verifyBallotProofs(context, forged, n1)).to.deep.equal(expected);
      expect(verifyBallotProofs(context, encodeBallot(forged), n1)).to.deep.equal(expected);
      // A range proof from another ballot does not fit either.
      const other = encrypt0({ "party-list": [P(1)], council: [] });
      const mixed: EncryptedBallot = {
        ...honest.ballot,
        contests: [
          { ...contest, rangeProof: other.ballot.contests[0].rangeProof },
          honest.ballot.contests[1],
        ],
      };
      expect(verifyBallotProofs(context, mixed, n1)).to.deep.equal(expected);
    });

    it("a tampered 0/1 proof scalar fails with the option's name", () => {
      const out = encrypt0();
      const ballot = out.ballot;
      const bad: EncryptedBallot = structuredClone(ballot);
      const sel = bad.contests[1].selections[2];
      sel.proof.responses[1] = scalarAdd(sel.proof.responses[1], sel.proof.responses[0]);
      expect(verifyBallotProofs(election.context, bad, n1)).to.deep.equal({
        ok: false,
        reason: "contest council option council-option-3: 0/1 proof fails",
      });
    });

    it("malformed ballot objects give a reason, never an exception", () => {
      const { ballot } = encrypt0();
      const cases: unknown[] = [
        { ...ballot, styleIndex: 7 },
        { ...ballot, contests: [] },
        { ...ballot, contests: [ballot.contests[1], ballot.contests[0]] },
        { ...ballot, contests: [{ ...ballot.contests[0], selections: [] }, ballot.contests[1]] },
        { ...ballot, contests: [{ ...ballot.contests[0], rangeProof: null }, ballot.contests[1]] },
        { ...ballot, contests: [null, ballot.contests[1]] },
        {
          ...ballot,
          contests: [
            {
              ...ballot.contests[0],
              selections: ballot.contests[0].selections.map((s) => ({
                ...s,
                ciphertext: { a: new Uint8Array(32).fill(0xff), b: s.ciphertext.b },
              })),
            },
            ballot.contests[1],
          ],
        },
        {},
        null,
      ];
      for (const input of cases) {
        const result = verifyBallotProofs(election.context, input as EncryptedBallot, n1);
        expect(result.ok).to.equal(false);
        if (!result.ok) expect(result.reason).to.be.a("string").and.not.equal("");
      }
    });
  });

  describe("hashes and tracking codes", () => {
    it("ballotHash is keccak256 of the bytes", () => {
      const { bytes } = encrypt0();
      expect(bytesEqual(ballotHash(bytes), keccak_256(bytes))).to.equal(true);
    });

    it("tracking codes are 4 groups of 4 Crockford base32 characters bound to Q", () => {
      const { bytes } = encrypt0();
      const hash = ballotHash(bytes);
      const code = trackingCode(election.context, hash);
      expect(code).to.match(/^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$/);
      expect(trackingCode(election.context, toHex(hash))).to.equal(code);
      const otherQ = { ...election.context, baseHash: new Uint8Array(32) };
      expect(trackingCode(otherQ, hash)).to.not.equal(code);
      expect(trackingCode(election.context, new Uint8Array(32))).to.not.equal(code);
      expect(() => trackingCode(election.context, new Uint8Array(31))).to.throw(RangeError);
      expect(normalizeTrackingCode(code.toLowerCase().replace(/-/g, " "))).to.equal(code);
      expect(normalizeTrackingCode("oooo-iiii-llll-0000")).to.equal("0000-1111-1111-0000");
      expect(normalizeTrackingCode("UUUU-0000-0000-0000")).to.equal(null);
      expect(normalizeTrackingCode("0000-0000-0000")).to.equal(null);
    });
  });

  describe("Benaloh challenge", () => {
    const choices = { "party-list": [P(4)], council: [C(3), C(2)] };

    it("opens a challenged ballot and reports what it encrypts", () => {
      const out = encrypt0(choices);
      const reveal = JSON.parse(JSON.stringify(challengeReveal(out, choices)));
      const result = verifyChallenge(election.context, out.bytes, reveal);
      expect(result).to.deep.equal({
        ok: true,
        choices: { "party-list": [P(4)], council: [C(2), C(3)] },
        ballotHash: toHex(ballotHash(out.bytes)),
        trackingCode: trackingCode(election.context, ballotHash(out.bytes)),
      });
    });

    it("catches a booth that encrypted something else than it states", () => {
      const out = encrypt0({ "party-list": [P(1)], council: [C(3), C(2)] });
      const reveal = challengeReveal(out, choices);
      expect(verifyChallenge(election.context, out.bytes, reveal)).to.deep.equal({
        ok: false,
        reason: `contest party-list: the ballot encrypts [${P(1)}], the booth stated [${P(4)}]`,
      });
    });

    it("rejects wrong nonces, another ballot, and malformed reveals", () => {
      const out = encrypt0(choices);
      const reveal = challengeReveal(out, choices);
      const wrongNonce = structuredClone(reveal);
      wrongNonce.contests[1].nonces[2] = toHex(randomScalar());
      expect(verifyChallenge(election.context, out.bytes, wrongNonce)).to.deep.equal({
        ok: false,
        reason:
          "contest council option council-option-3: ciphertext does not open to 0 or 1 with the revealed nonce",
      });
      const zeroNonce = structuredClone(reveal);
      zeroNonce.contests[0].nonces[0] = toHex(new Uint8Array(32));
      expect(verifyChallenge(election.context, out.bytes, zeroNonce)).to.deep.equal({
        ok: false,
        reason: "contest party-list option party-list-option-1: invalid nonce",
      });
      const bigNonce = structuredClone(reveal);
      bigNonce.contests[0].nonces[0] = toHex(new Uint8Array(32).fill(0xff));
      expect(verifyChallenge(election.context, out.bytes, bigNonce).ok).to.equal(false);
      const other = encrypt0(choices);
      expect(verifyChallenge(election.context, other.bytes, reveal).ok).to.equal(false);
      const junk: unknown[] = [
        null,
        {},
        { ...reveal, version: 2 },
        { ...reveal, styleIndex: 1 },
        { ...reveal, contests: reveal.contests.slice(1) },
        { ...reveal, contests: [reveal.contests[1], reveal.contests[0]] },
        { ...reveal, contests: [{ ...reveal.contests[0], nonces: ["0x12"] }, reveal.contests[1]] },
        {
          ...reveal,
          contests: [
            { ...reveal.contests[0], nonces: reveal.contests[0].nonces.slice(1) },
            reveal.contests[1],
          ],
        },
        { ...reveal, extra: 1 },
      ];
      for (const input of junk) {
        const result = verifyChallenge(election.context, out.bytes, input);
        expect(result.ok, JSON.stringify(input)).to.equal(false);
      }
      expect(verifyChallenge(election.context, new Uint8Array(3), reveal)).to.deep.equal({
        ok: false,
        reason: "ballot: bad magic (expected BLB1)",
      });
    });
  });
});
