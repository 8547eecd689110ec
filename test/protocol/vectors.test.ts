import { expect } from "chai";
import { readFileSync } from "node:fs";
import path from "node:path";
import { decodeBallot, trackingCode, ballotHash, verifyBallotProofs } from "../../server/protocol/ballot";
import { electionContext } from "../../server/protocol/context";
import { parseManifest } from "../../server/protocol/manifest";
import { hexToBytes, toHex } from "../../server/protocol/primitives/bytes";
import { decodePoint, type Point } from "../../server/protocol/primitives/group";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import {
  aggregateBallots,
  aggregateHash,
  computeTally,
  encodeAggregate,
  verifyDecryptionShare,
  type DecryptionShare,
} from "../../server/protocol/tally";
import { ballotVectors, ceremonyVectors, tallyVectors, vectorFile } from "../../scripts/gen-vectors";
import {
  judgeComplaint,
  verifyCeremony,
  decodeTrusteeKeys,
  type TrusteePublicKeys,
} from "../../server/protocol/ceremony";

const read = (name: string) => readFileSync(path.join(__dirname, "..", "vectors", name), "utf8");

/** Rebuilds the election context from a vector file's public data alone. */
function contextOf(vectors: {
  chainId: string;
  election: `0x${string}`;
  manifest: unknown;
  jointKey: string;
  trustees: { commitments: string[][] };
  baseHash: string;
}) {
  const parsed = parseManifest(vectors.manifest);
  if (!parsed.ok) throw new Error(parsed.reason);
  const point = (h: string) => decodePoint(hexToBytes(h)) as Point;
  const context = electionContext(
    { chainId: BigInt(vectors.chainId), election: vectors.election },
    parsed.manifest,
    point(vectors.jointKey),
    vectors.trustees.commitments.map((row) => row.map(point)),
  );
  expect(toHex(context.baseHash)).to.equal(vectors.baseHash);
  return context;
}

describe("protocol: known-answer vectors (test/vectors)", () => {
  before(initCrypto);

  it("ballot.json is reproduced byte for byte from its seeds", () => {
    expect(vectorFile(ballotVectors())).to.equal(read("ballot.json"));
  });

  it("tally.json is reproduced byte for byte from its seeds", () => {
    expect(vectorFile(tallyVectors())).to.equal(read("tally.json"));
  });

  it("ceremony.json is reproduced byte for byte from its seed", () => {
    expect(vectorFile(ceremonyVectors())).to.equal(read("ceremony.json"));
  });

  it("the stored ceremony verifies from its public data, and its complaint is upheld", () => {
    const vectors = JSON.parse(read("ceremony.json"));
    const base = hexToBytes(vectors.ceremonyBase);
    type StoredTrustee = { commitments: string; proofs: string; boxKey: string; encryptedShares: string };
    const keys = vectors.trustees.map((t: StoredTrustee) => ({
      commitments: hexToBytes(t.commitments),
      proofs: hexToBytes(t.proofs),
      boxKey: hexToBytes(t.boxKey),
    }));
    const report = verifyCeremony({
      ceremonyBase: base,
      trusteeCount: 3,
      threshold: 2,
      keys,
      shares: vectors.trustees.map((t: StoredTrustee) => hexToBytes(t.encryptedShares)),
      complaints: [],
    });
    expect(report.complete).to.equal(true);
    expect(toHex(report.jointKey!)).to.equal(vectors.jointKey);
    expect(report.publicKeyShares.map((p) => toHex(p))).to.deep.equal(vectors.publicKeyShares);
    const parsed = keys.map(
      (k: { commitments: Uint8Array; proofs: Uint8Array; boxKey: Uint8Array }, i: number) => {
        const decoded = decodeTrusteeKeys(i + 1, 2, k);
        if (!decoded.ok) throw new Error(decoded.reason);
        return decoded.keys;
      },
    ) as TrusteePublicKeys[];
    const { complaint } = vectors;
    const verdict = judgeComplaint(
      base,
      parsed[complaint.complainer - 1],
      parsed[complaint.accused - 1],
      hexToBytes(complaint.accusedEncryptedShares),
      hexToBytes(complaint.evidence),
      3,
    );
    expect(verdict.verdict).to.equal(complaint.verdict);
  });

  it("the stored ballots verify, their tracking codes match, the rejected ones fail with the stated reason", () => {
    const vectors = JSON.parse(read("ballot.json"));
    const context = contextOf(vectors);
    for (const b of vectors.ballots) {
      const bytes = hexToBytes(b.bytes);
      expect(verifyBallotProofs(context, bytes, b.nullifier).ok, b.name).to.equal(true);
      expect(toHex(ballotHash(bytes))).to.equal(b.ballotHash);
      expect(trackingCode(context, b.ballotHash)).to.equal(b.trackingCode);
    }
    for (const r of vectors.rejected)
      expect(verifyBallotProofs(context, hexToBytes(r.bytes), r.nullifier), r.name).to.deep.equal({
        ok: false,
        reason: r.reason,
      });
  });

  it("the stored tally recomputes from the stored ballots and shares", () => {
    const vectors = JSON.parse(read("tally.json"));
    const context = contextOf(vectors);
    const ballots = vectors.ballots.map((b: { bytes: string; nullifier: string }) => {
      const result = verifyBallotProofs(context, hexToBytes(b.bytes), b.nullifier as `0x${string}`);
      if (!result.ok) throw new Error(result.reason);
      return result.ballot;
    });
    const aggregate = aggregateBallots(context, ballots);
    expect(toHex(encodeAggregate(aggregate))).to.equal(vectors.aggregate);
    expect(toHex(aggregateHash(context, aggregate))).to.equal(vectors.aggregateHash);
    const shares: DecryptionShare[] = vectors.decryptionShares.map(
      (s: { trusteeIndex: number; bytes: string }) => {
        const publicShare = decodePoint(
          hexToBytes(vectors.trustees.publicShares[s.trusteeIndex - 1]),
        ) as Point;
        const result = verifyDecryptionShare(
          context,
          aggregate,
          s.trusteeIndex,
          publicShare,
          hexToBytes(s.bytes),
        );
        if (!result.ok) throw new Error(result.reason);
        return result.share;
      },
    );
    const tally = computeTally(context, aggregate, shares);
    if (!tally.ok) throw new Error(tally.reason);
    expect(tally.result).to.deep.equal(vectors.result);
    expect(new TextDecoder().decode(tally.bytes)).to.equal(vectors.resultBytes);
    expect(toHex(tally.hash)).to.equal(vectors.resultHash);
    expect(decodeBallot(context, hexToBytes(vectors.ballots[0].bytes)).ok).to.equal(true);
  });
});
