/**
 * Cross-checks against code no one on this project wrote:
 *  - RFC 9496 (ristretto255) Appendix A test vectors, through group.ts (libsodium);
 *  - @noble/curves' independent ristretto255 for group operations;
 *  - a from-the-document verifier: the ballot's 0/1 and range proofs, the
 *    aggregate hash, a decryption share's proof and the tracking code are
 *    recomputed with @noble/curves points and @noble/hashes SHA-512, reading
 *    the bytes by the layouts of docs/protocol.md only (no project decoder).
 */
import { ristretto255 } from "@noble/curves/ed25519.js";
import { sha512 } from "@noble/hashes/sha2.js";
import { expect } from "chai";
import { ballotHash, encryptBallot, decodeBallot, trackingCode } from "../../server/protocol/ballot";
import { toHex } from "../../server/protocol/primitives/bytes";
import {
  GROUP_ORDER,
  baseMul,
  decodePoint,
  pointAdd,
  pointMul,
  pointSub,
  randomScalar,
  scalarFromBigint,
  scalarToBigint,
  type Point,
} from "../../server/protocol/primitives/group";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { aggregateBallots, aggregateHash, createDecryptionShare } from "../../server/protocol/tally";
import { buildManifest, dummyCredential, nullifierOf, setupElection, type Election } from "./fixtures";
import { INVALID_ENCODINGS, SMALL_MULTIPLES } from "./rfc9496";

const NoblePoint = ristretto255.Point;
type NP = InstanceType<typeof NoblePoint>;
const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const fromHexString = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));

describe("protocol: cross-checks (RFC 9496, @noble/curves)", () => {
  before(initCrypto);

  describe("RFC 9496 test vectors through group.ts", () => {
    it("small multiples of the generator", () => {
      for (let i = 0; i < SMALL_MULTIPLES.length; i++) {
        const computed = i === 0 ? new Uint8Array(32) : baseMul(scalarFromBigint(BigInt(i)));
        expect(hex(computed), `${i}*G`).to.equal(SMALL_MULTIPLES[i]);
        const decoded = decodePoint(fromHexString(SMALL_MULTIPLES[i]), { allowIdentity: true });
        expect(decoded, `decode ${i}*G`).to.not.equal(null);
        expect(hex(decoded!)).to.equal(SMALL_MULTIPLES[i]);
      }
      // The identity is refused unless explicitly allowed.
      expect(decodePoint(fromHexString(SMALL_MULTIPLES[0]))).to.equal(null);
      // Successive additions agree with the table.
      let acc = baseMul(scalarFromBigint(1n));
      for (let i = 2; i < SMALL_MULTIPLES.length; i++) {
        acc = pointAdd(acc, baseMul(scalarFromBigint(1n)));
        expect(hex(acc)).to.equal(SMALL_MULTIPLES[i]);
      }
    });

    it("every invalid encoding is rejected", () => {
      for (const encoding of INVALID_ENCODINGS) {
        expect(decodePoint(fromHexString(encoding)), encoding).to.equal(null);
        expect(decodePoint(fromHexString(encoding), { allowIdentity: true }), encoding).to.equal(null);
      }
    });
  });

  describe("group operations against @noble/curves", () => {
    it("base and variable-base multiplication, addition, subtraction, encodings", () => {
      for (let i = 0; i < 20; i++) {
        const s = randomScalar();
        const t = randomScalar();
        const sb = scalarToBigint(s);
        const tb = scalarToBigint(t);
        const p = baseMul(s);
        const q = baseMul(t);
        const np = NoblePoint.BASE.multiply(sb);
        const nq = NoblePoint.BASE.multiply(tb);
        expect(hex(p)).to.equal(hex(np.toBytes()));
        expect(hex(pointAdd(p, q))).to.equal(hex(np.add(nq).toBytes()));
        expect(hex(pointSub(p, q))).to.equal(hex(np.subtract(nq).toBytes()));
        expect(hex(pointMul(t, p))).to.equal(hex(np.multiply(tb).toBytes()));
        expect(hex(NoblePoint.fromBytes(p).toBytes())).to.equal(hex(p));
      }
      for (const encoding of INVALID_ENCODINGS)
        expect(() => NoblePoint.fromBytes(fromHexString(encoding))).to.throw();
    });
  });

  describe("an independent verifier written from docs/protocol.md", () => {
    // ---- section 1.3: H(tag; x_1..x_k) = SHA-512(LP("ballot-ledger/v1/" || tag) || LP("ristretto255") || LP(x_1) ...)
    const enc = new TextEncoder();
    const u32 = (n: number) => {
      const b = new Uint8Array(4);
      new DataView(b.buffer).setUint32(0, n);
      return b;
    };
    const lp = (b: Uint8Array) => Uint8Array.from([...u32(b.length), ...b]);
    const H = (tag: string, parts: Uint8Array[]) =>
      sha512(
        Uint8Array.from(
          [enc.encode("ballot-ledger/v1/" + tag), enc.encode("ristretto255"), ...parts].flatMap((p) => [
            ...lp(p),
          ]),
        ),
      );
    const le = (b: Uint8Array) => b.reduceRight((acc, byte) => (acc << 8n) | BigInt(byte), 0n);
    const Hq = (tag: string, parts: Uint8Array[]) => le(H(tag, parts)) % GROUP_ORDER;
    const H32 = (tag: string, parts: Uint8Array[]) => H(tag, parts).slice(0, 32);
    const G = NoblePoint.BASE;
    const mul = (s: bigint, p: NP) => p.multiplyUnsafe(s);
    const scalar = (b: Uint8Array) => {
      const v = le(b);
      if (v >= GROUP_ORDER) throw new Error("non-canonical scalar");
      return v;
    };

    /** Section 4: disjunctive proof over branches m = lo..hi, bytes c_0..c_{n-1} || z_0..z_{n-1}. */
    function verifyDisjunctive(
      tag: string,
      context: Uint8Array[],
      lo: number,
      hi: number,
      K: NP,
      A: NP,
      B: NP,
      proof: Uint8Array,
    ): boolean {
      const n = hi - lo + 1;
      const c = Array.from({ length: n }, (_, j) => scalar(proof.subarray(32 * j, 32 * j + 32)));
      const z = Array.from({ length: n }, (_, j) => scalar(proof.subarray(32 * (n + j), 32 * (n + j) + 32)));
      const commitments: Uint8Array[] = [];
      for (let j = 0; j < n; j++) {
        const m = BigInt(lo + j);
        const shifted = B.subtract(mul(m, G));
        commitments.push(mul(z[j], G).subtract(mul(c[j], A)).toBytes());
        commitments.push(mul(z[j], K).subtract(mul(c[j], shifted)).toBytes());
      }
      const challenge = Hq(tag, [
        ...context,
        u32(lo),
        u32(hi),
        K.toBytes(),
        A.toBytes(),
        B.toBytes(),
        ...commitments,
      ]);
      return c.reduce((a, b) => (a + b) % GROUP_ORDER, 0n) === challenge;
    }

    /** Section 5: walks the ballot bytes and checks every proof. Returns the ciphertexts. */
    function verifyBallotIndependently(election: Election, bytes: Uint8Array, nullifier: Uint8Array) {
      const { manifest, context } = election;
      const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
      expect(new TextDecoder().decode(bytes.subarray(0, 4))).to.equal("BLB1");
      const style = view.getUint32(4);
      let offset = 8;
      const prefixLength = view.getUint32(offset);
      offset += 4 + prefixLength;
      const signatureLength = view.getUint32(offset);
      offset += 4 + signatureLength;
      const K = NoblePoint.fromBytes(context.jointKey);
      const Q = context.baseHash;
      const ciphertexts: Record<string, { A: NP; B: NP }[]> = {};
      for (const contestId of manifest.ballotStyles[style].contests) {
        const contest = manifest.contests.find((c) => c.id === contestId)!;
        let sumA = NoblePoint.ZERO;
        let sumB = NoblePoint.ZERO;
        ciphertexts[contestId] = [];
        for (const option of contest.options) {
          const A = NoblePoint.fromBytes(bytes.subarray(offset, offset + 32));
          const B = NoblePoint.fromBytes(bytes.subarray(offset + 32, offset + 64));
          const proof = bytes.subarray(offset + 64, offset + 192);
          offset += 192;
          const ctx = [Q, nullifier, u32(style), enc.encode(contestId), enc.encode(option.id)];
          if (!verifyDisjunctive("ballot-option", ctx, 0, 1, K, A, B, proof)) return null;
          sumA = sumA.add(A);
          sumB = sumB.add(B);
          ciphertexts[contestId].push({ A, B });
        }
        const n = contest.maxSelections - contest.minSelections + 1;
        const proof = bytes.subarray(offset, offset + 64 * n);
        offset += 64 * n;
        const ctx = [Q, nullifier, u32(style), enc.encode(contestId)];
        if (
          !verifyDisjunctive(
            "ballot-contest",
            ctx,
            contest.minSelections,
            contest.maxSelections,
            K,
            sumA,
            sumB,
            proof,
          )
        )
          return null;
      }
      expect(offset).to.equal(bytes.length);
      return ciphertexts;
    }

    let election: Election;
    before(() => {
      election = setupElection(
        buildManifest(
          [
            { id: "party-list", options: 5, min: 1, max: 1 },
            { id: "council", options: 6, min: 0, max: 3 },
            { id: "referendum", options: ["yes", "no"], min: 2, max: 2 },
          ],
          [["council", "party-list", "referendum"]],
        ),
        "noble-crosscheck",
      );
    });

    it("recomputes the base hash Q (section 3)", () => {
      const { context, trustees } = election;
      const u64 = new Uint8Array(8);
      new DataView(u64.buffer).setBigUint64(0, context.chainId);
      const q = H32("base", [
        u64,
        fromHexString(context.election.slice(2)),
        context.manifestHash,
        trustees.jointKey,
        Uint8Array.from(trustees.commitments.flat().flatMap((p) => [...p])),
      ]);
      expect(hex(q)).to.equal(hex(context.baseHash));
    });

    it("verifies a ballot's proofs and rejects a tampered or rebound one", () => {
      const nullifier = nullifierOf(0x42);
      const choices = {
        "party-list": ["party-list-option-4"],
        council: ["council-option-2", "council-option-6"],
        referendum: ["yes", "no"],
      };
      const { bytes } = encryptBallot(election.context, 0, choices, nullifier, dummyCredential(3, 384));
      expect(verifyBallotIndependently(election, bytes, nullifier)).to.not.equal(null);
      expect(verifyBallotIndependently(election, bytes, nullifierOf(0x43))).to.equal(null);
      const tampered = bytes.slice();
      tampered[bytes.length - 1] ^= 0x01; // last range-proof response
      expect(verifyBallotIndependently(election, tampered, nullifier)).to.equal(null);
    });

    it("recomputes the tracking code (section 5) and the aggregate hash, and verifies a decryption share (section 6)", () => {
      const { context, trustees } = election;
      const ballots = [1, 2, 3].map((i) => {
        const { bytes } = encryptBallot(
          context,
          0,
          { "party-list": [`party-list-option-${i}`], council: [], referendum: ["yes", "no"] },
          nullifierOf(i),
          dummyCredential(),
        );
        // Tracking code: Crockford base32 of the first 80 bits of H32("tracking-code"; Q, keccak256(ballot)).
        const digest = H32("tracking-code", [context.baseHash, ballotHash(bytes)]);
        let bits = 0n;
        for (const b of digest.subarray(0, 10)) bits = (bits << 8n) | BigInt(b);
        const alphabet = "0123456789ABCDEFGHJKMNPQRSTVWXYZ";
        let code = "";
        for (let k = 15; k >= 0; k--) code += alphabet[Number((bits >> BigInt(5 * k)) & 31n)];
        expect(trackingCode(context, ballotHash(bytes))).to.equal(code.match(/.{4}/g)!.join("-"));
        const decoded = decodeBallot(context, bytes);
        if (!decoded.ok) throw new Error(decoded.reason);
        return { bytes, ballot: decoded.ballot };
      });
      const aggregate = aggregateBallots(
        context,
        ballots.map((b) => b.ballot),
      );

      // Aggregate bytes from noble sums: "BLA1" || u64(ballots) || per contest u64(ballots) || per option A || B.
      const u64 = (n: number) => {
        const b = new Uint8Array(8);
        new DataView(b.buffer).setBigUint64(0, BigInt(n));
        return b;
      };
      const parts: Uint8Array[] = [enc.encode("BLA1"), u64(3)];
      const sums: NP[][] = [];
      for (const contest of election.manifest.contests) {
        parts.push(u64(3));
        const contestSums: NP[] = [];
        contest.options.forEach((option, j) => {
          let A = NoblePoint.ZERO;
          let B = NoblePoint.ZERO;
          for (const { ballot } of ballots) {
            const sel = ballot.contests.find((c) => c.contestId === contest.id)!.selections[j];
            A = A.add(NoblePoint.fromBytes(sel.ciphertext.a));
            B = B.add(NoblePoint.fromBytes(sel.ciphertext.b));
          }
          parts.push(A.toBytes(), B.toBytes());
          contestSums.push(A);
        });
        sums.push(contestSums);
      }
      const aggregateBytes = Uint8Array.from(parts.flatMap((p) => [...p]));
      const aggHash = H32("aggregate", [context.baseHash, aggregateBytes]);
      expect(hex(aggHash)).to.equal(hex(aggregateHash(context, aggregate)));

      // Trustee 2's share: "BLD1" || u32(2) || per option M || c || z; challenge per section 6.
      const index = 2;
      const { bytes: share } = createDecryptionShare(
        context,
        aggregate,
        index,
        trustees.secretShares[index - 1],
      );
      const Pi = NoblePoint.fromBytes(trustees.publicShares[index - 1] as Point);
      let offset = 8;
      let checked = 0;
      election.manifest.contests.forEach((contest, c) => {
        contest.options.forEach((option, j) => {
          const M = NoblePoint.fromBytes(share.subarray(offset, offset + 32));
          const ch = scalar(share.subarray(offset + 32, offset + 64));
          const z = scalar(share.subarray(offset + 64, offset + 96));
          offset += 96;
          const A = sums[c][j];
          const a1 = mul(z, G).subtract(mul(ch, Pi));
          const a2 = mul(z, A).subtract(mul(ch, M));
          const expected = Hq("decryption-share", [
            context.baseHash,
            aggHash,
            u32(index),
            enc.encode(contest.id),
            enc.encode(option.id),
            G.toBytes(),
            Pi.toBytes(),
            A.toBytes(),
            M.toBytes(),
            a1.toBytes(),
            a2.toBytes(),
          ]);
          expect(ch, `${contest.id}/${option.id}`).to.equal(expected);
          checked++;
        });
      });
      expect(offset).to.equal(share.length);
      expect(checked).to.equal(13);
      expect(toHex(share.subarray(0, 8))).to.equal("0x424c443100000002");
    });
  });
});
