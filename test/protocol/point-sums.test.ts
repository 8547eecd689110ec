/**
 * The running sums of the homomorphic tally (backend.ts PointSums): the native
 * core, which keeps the sums decoded, against libsodium's wasm additions, byte
 * for byte, on random sequences of additions and subtractions, identities,
 * sums that cancel to the identity and refused inputs (which change nothing);
 * and the Aggregator on them against the plain sum of the ciphertexts, with a
 * ballot removed again (a re-vote). Skipped, with a message, only when the
 * native core has not been built (no cargo).
 */
import { expect } from "chai";
import { decodeBallot, encryptBallot, type EncryptedBallot } from "../../server/protocol/ballot";
import { wasmBackend, type GroupBackend } from "../../server/protocol/primitives/backend";
import { randomScalar } from "../../server/protocol/primitives/group";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { Aggregator, aggregateBallots, encodeAggregate } from "../../server/protocol/tally";
import { dummyCredential, largerManifest, nullifierOf, setupElection } from "./fixtures";
import { nativeCoreOrSkip } from "./native-core";
import { INVALID_ENCODINGS } from "./rfc9496";

const hex = (b: Uint8Array) => Buffer.from(b).toString("hex");
const fromHex = (h: string) => Uint8Array.from(Buffer.from(h, "hex"));
const IDENTITY = new Uint8Array(32);
const point = () => wasmBackend.baseMul(randomScalar());
const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(32 * parts.length);
  parts.forEach((p, i) => out.set(p, 32 * i));
  return out;
};
/** "throws", or nothing: both backends must refuse alike. */
function attempt(fn: () => void): string {
  try {
    fn();
    return "ok";
  } catch {
    return "throws";
  }
}

describe("protocol: running point sums, native core vs libsodium wasm", function () {
  this.timeout(60_000);
  let native: GroupBackend;

  before(async function () {
    await initCrypto();
    native = nativeCoreOrSkip(this).backend;
  });

  it("the same bytes after random additions and subtractions, identities included", () => {
    const slots = 7;
    const both = [native.pointSums(slots), wasmBackend.pointSums(slots)];
    expect(hex(both[0].encode())).to.equal(hex(new Uint8Array(32 * slots)));
    for (let round = 0; round < 60; round++) {
      const first = round % slots;
      const count = 1 + (round % (slots - first));
      const points = concat(
        Array.from({ length: count }, (_, i) => ((round + i) % 5 === 0 ? IDENTITY : point())),
      );
      for (const sums of both) (round % 3 === 2 ? sums.sub : sums.add).call(sums, first, points);
      expect(hex(both[0].encode())).to.equal(hex(both[1].encode()));
    }
  });

  it("a sum that cancels is the identity (32 zero bytes) on both", () => {
    const p = point();
    const q = point();
    for (const backend of [native, wasmBackend]) {
      const sums = backend.pointSums(2);
      sums.add(0, concat([p, q]));
      sums.add(0, concat([q, q]));
      sums.sub(0, concat([p, q]));
      sums.sub(0, concat([q]));
      expect(hex(sums.encode())).to.equal(hex(concat([IDENTITY, q])));
    }
  });

  it("refuses invalid encodings, short input and slots past the last, changing no sum", () => {
    const valid = point();
    const cases: [number, Uint8Array][] = [
      ...INVALID_ENCODINGS.slice(0, 6).map((h): [number, Uint8Array] => [0, concat([valid, fromHex(h)])]),
      [0, new Uint8Array(31)],
      [0, new Uint8Array(65)],
      [2, concat([valid, valid])],
      [3, concat([valid])],
    ];
    for (const backend of [native, wasmBackend]) {
      const sums = backend.pointSums(3);
      sums.add(0, concat([valid, valid, valid]));
      const before = hex(sums.encode());
      for (const [first, points] of cases) {
        expect(attempt(() => sums.add(first, points))).to.equal("throws");
        expect(attempt(() => sums.sub(first, points))).to.equal("throws");
      }
      expect(hex(sums.encode())).to.equal(before);
    }
  });
});

describe("protocol: the Aggregator on running sums", function () {
  this.timeout(60_000);
  let election: ReturnType<typeof setupElection>;
  let ballots: EncryptedBallot[];

  before(async () => {
    await initCrypto();
    election = setupElection(largerManifest());
    ballots = Array.from({ length: 6 }, (_, i) => {
      const { bytes } = encryptBallot(
        election.context,
        0,
        {
          "party-list": [`party-list-option-${1 + (i % 5)}`],
          council: i % 2 === 0 ? ["council-option-1", `council-option-${2 + i}`] : [],
        },
        nullifierOf(i + 1),
        dummyCredential(),
      );
      const decoded = decodeBallot(election.context, bytes);
      if (!decoded.ok) throw new Error(decoded.reason);
      return decoded.ballot;
    });
  });

  it("equals the plain sum of the ciphertexts, one libsodium addition at a time", () => {
    const aggregate = aggregateBallots(election.context, ballots);
    aggregate.contests.forEach((contest) => {
      contest.options.forEach((option, j) => {
        let a: Uint8Array = new Uint8Array(IDENTITY);
        let b: Uint8Array = new Uint8Array(IDENTITY);
        for (const ballot of ballots) {
          const selection = ballot.contests.find((c) => c.contestId === contest.contestId)!.selections[j];
          a = wasmBackend.add(a, selection.ciphertext.a);
          b = wasmBackend.add(b, selection.ciphertext.b);
        }
        expect(hex(option.ciphertext.a)).to.equal(hex(a));
        expect(hex(option.ciphertext.b)).to.equal(hex(b));
      });
    });
  });

  it("a ballot removed again leaves the aggregate of the others, byte for byte", () => {
    const withRemoval = new Aggregator(election.manifest);
    for (const ballot of ballots) withRemoval.add(ballot);
    withRemoval.remove(ballots[2]).remove(ballots[4]);
    const others = aggregateBallots(
      election.context,
      ballots.filter((_, i) => i !== 2 && i !== 4),
    );
    expect(hex(encodeAggregate(withRemoval.result()))).to.equal(hex(encodeAggregate(others)));
    for (const ballot of ballots) withRemoval.remove(ballot);
    withRemoval.add(ballots[2]).add(ballots[4]);
    expect(hex(encodeAggregate(withRemoval.result()))).to.equal(
      hex(encodeAggregate(aggregateBallots(election.context, []))),
    );
  });
});
