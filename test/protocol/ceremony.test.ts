import { expect } from "chai";
import fc from "fast-check";
import {
  complaintEvidence,
  dealShares,
  decodeTrusteeKeys,
  encodeTrusteeKeys,
  generateTrusteeSecret,
  judgeComplaint,
  jointPublicKey,
  publicKeyShare,
  receiveShare,
  secretKeyShare,
  shareCiphertextFor,
  trusteePublicKeys,
  verifyCeremony,
  verifyTrusteeKeys,
  type TrusteePublicKeys,
  type TrusteeSecret,
} from "../../server/protocol/ceremony";
import { ceremonyBaseHash } from "../../server/protocol/context";
import { concatBytes } from "../../server/protocol/primitives/bytes";
import {
  baseMul,
  pointAdd,
  pointEquals,
  scalarFromInt,
  type Scalar,
} from "../../server/protocol/primitives/group";
import { lagrangeCoefficientsAtZero } from "../../server/protocol/primitives/lagrange";
import { scalarAdd, scalarMul } from "../../server/protocol/primitives/group";
import { initCrypto } from "../../server/protocol/primitives/sodium";
import { seededNonceSource } from "../../server/protocol/ballot";
import { CHAIN_ID, ELECTION, referenceManifest } from "./fixtures";

interface Ceremony {
  base: Uint8Array;
  secrets: TrusteeSecret[];
  keys: TrusteePublicKeys[];
  shares: Uint8Array[];
}

function runCeremony(n: number, t: number, seed = "ceremony-test", round = 0): Ceremony {
  const nonces = seededNonceSource(seed);
  const base = ceremonyBaseHash(
    { chainId: CHAIN_ID, election: ELECTION },
    referenceManifest({ count: n, threshold: t }),
    round,
  );
  const secrets = Array.from({ length: n }, () => generateTrusteeSecret(t, nonces));
  const keys = secrets.map((secret, i) => trusteePublicKeys(base, i + 1, secret, nonces));
  const shares = secrets.map((secret, i) => dealShares(base, i + 1, secret, keys, nonces));
  return { base, secrets, keys, shares };
}

/** Flip one bit of byte `at` (a copy). */
const flip = (bytes: Uint8Array, at: number): Uint8Array => {
  const copy = new Uint8Array(bytes);
  copy[at] ^= 1;
  return copy;
};

describe("key ceremony (Pedersen DKG, Feldman commitments)", () => {
  before(initCrypto);

  it("5 trustees, threshold 3: every share checks, any 3 secret shares rebuild the joint secret", () => {
    const { base, secrets, keys, shares } = runCeremony(5, 3);
    for (const k of keys) expect(verifyTrusteeKeys(base, k)).to.deep.equal({ ok: true });
    const secretShares: Scalar[] = [];
    for (let j = 1; j <= 5; j++) {
      const received: Scalar[] = [];
      for (let i = 1; i <= 5; i++) {
        if (i === j) continue;
        const result = receiveShare(base, j, secrets[j - 1].boxSecret, keys[i - 1], shares[i - 1], 5);
        expect(result.ok, `share ${i} -> ${j}`).to.equal(true);
        if (result.ok) received.push(result.share);
      }
      const own = secrets[j - 1].polynomial.reduce(
        (acc, a, k) => scalarAdd(acc, scalarMul(a, scalarFromInt(j ** k))),
        scalarFromInt(0),
      );
      secretShares.push(secretKeyShare([...received, own]));
    }
    const jointKey = jointPublicKey(keys);
    const commitments = keys.map((k) => k.commitments);
    for (let j = 1; j <= 5; j++)
      expect(pointEquals(baseMul(secretShares[j - 1]), publicKeyShare(commitments, j))).to.equal(true);
    for (const subset of [
      [1, 2, 3],
      [2, 4, 5],
      [1, 3, 5],
    ]) {
      const lambdas = lagrangeCoefficientsAtZero(subset);
      const secret = subset.reduce(
        (acc, j, idx) => scalarAdd(acc, scalarMul(lambdas[idx], secretShares[j - 1])),
        scalarFromInt(0),
      );
      expect(pointEquals(baseMul(secret), jointKey)).to.equal(true);
    }
    const sumOfConstants = secrets.map((s) => baseMul(s.polynomial[0])).reduce((a, b) => pointAdd(a, b));
    expect(pointEquals(sumOfConstants, jointKey)).to.equal(true);
  });

  it("encodes keys for postTrusteeKeys and decodes them back; refuses wrong lengths and invalid points", () => {
    const { keys } = runCeremony(3, 2);
    const encoded = encodeTrusteeKeys(keys[0]);
    expect(encoded.commitments.length).to.equal(64);
    expect(encoded.proofs.length).to.equal(128);
    const decoded = decodeTrusteeKeys(1, 2, encoded);
    expect(decoded.ok).to.equal(true);
    expect(decodeTrusteeKeys(1, 3, encoded)).to.deep.include({ ok: false });
    const badPoint = decodeTrusteeKeys(1, 2, {
      ...encoded,
      commitments: concatBytes(new Uint8Array(32), encoded.commitments.slice(32)),
    });
    expect(badPoint).to.deep.equal({ ok: false, reason: "commitment 0 is not a valid non-identity point" });
    expect(decodeTrusteeKeys(1, 2, { ...encoded, boxKey: new Uint8Array(32).fill(0xff) })).to.deep.equal({
      ok: false,
      reason: "box key is not a valid non-identity point",
    });
  });

  it("proofs of knowledge are bound to the round, the trustee index and the box key", () => {
    const { base, keys } = runCeremony(3, 2);
    const otherRound = runCeremony(3, 2, "ceremony-test", 1).base;
    expect(verifyTrusteeKeys(otherRound, keys[0]).ok).to.equal(false);
    expect(verifyTrusteeKeys(base, { ...keys[0], index: 2 }).ok).to.equal(false);
    expect(verifyTrusteeKeys(base, { ...keys[0], boxKey: keys[1].boxKey }).ok).to.equal(false);
    const swapped = { ...keys[0], proofs: [keys[0].proofs[1], keys[0].proofs[0]] };
    expect(verifyTrusteeKeys(base, swapped)).to.deep.equal({
      ok: false,
      reason: "proof of knowledge of coefficient 0 fails",
    });
  });

  it("a wrong share is caught by the recipient and upheld by anyone judging the complaint", () => {
    const { base, secrets, keys, shares } = runCeremony(4, 3);
    // Trustee 2 sends trustee 3 a share off by one: encrypt f_2(3) + 1 in place of f_2(3).
    const cheating = {
      ...secrets[1],
      polynomial: [scalarAdd(secrets[1].polynomial[0], scalarFromInt(1)), ...secrets[1].polynomial.slice(1)],
    };
    const cheatShares = dealShares(base, 2, cheating, keys, seededNonceSource("cheat"));
    const tampered = new Uint8Array(shares[1]);
    const at = 1 * 64; // recipients of 2 are 1, 3, 4: trustee 3 is second
    tampered.set(shareCiphertextFor(cheatShares, 2, 3, 4)!, at);
    expect(receiveShare(base, 1, secrets[0].boxSecret, keys[1], tampered, 4).ok).to.equal(true);
    const bad = receiveShare(base, 3, secrets[2].boxSecret, keys[1], tampered, 4);
    expect(bad).to.deep.equal({ ok: false, reason: "share does not match the dealer's commitments" });
    const evidence = complaintEvidence(base, 3, secrets[2].boxSecret, 2, tampered, 4);
    expect(evidence.length).to.equal(96);
    expect(judgeComplaint(base, keys[2], keys[1], tampered, evidence, 4).verdict).to.equal("accused-guilty");
    // The same complaint against the honest shares is unfounded; forged evidence is invalid.
    const honestEvidence = complaintEvidence(base, 3, secrets[2].boxSecret, 2, shares[1], 4);
    expect(judgeComplaint(base, keys[2], keys[1], shares[1], honestEvidence, 4).verdict).to.equal(
      "complaint-unfounded",
    );
    for (const at of [0, 40, 95])
      expect(judgeComplaint(base, keys[2], keys[1], tampered, flip(evidence, at), 4).verdict).to.equal(
        "evidence-invalid",
      );
    // A disclosure made by another trustee's box key does not verify.
    const stolen = complaintEvidence(base, 3, secrets[3].boxSecret, 2, tampered, 4);
    expect(judgeComplaint(base, keys[2], keys[1], tampered, stolen, 4).verdict).to.equal("evidence-invalid");

    const report = verifyCeremony({
      ceremonyBase: base,
      trusteeCount: 4,
      threshold: 3,
      keys: keys.map(encodeTrusteeKeys),
      shares: [shares[0], tampered, shares[2], shares[3]],
      complaints: [{ complainer: 3, accused: 2, evidence }],
    });
    expect(report.complete).to.equal(false);
    expect(report.findings).to.deep.equal([
      { trustee: 2, kind: "complaint-upheld", detail: "the disclosed share does not match the commitments" },
    ]);
  });

  it("a malformed share ciphertext makes the dealer guilty whatever the evidence", () => {
    const { base, secrets, keys, shares } = runCeremony(3, 2);
    const broken = new Uint8Array(shares[0]);
    broken.fill(0xff, 0, 32); // recipient 2's ephemeral point: not a valid encoding
    expect(receiveShare(base, 2, secrets[1].boxSecret, keys[0], broken, 3)).to.deep.equal({
      ok: false,
      reason: "share ciphertext is malformed",
    });
    const evidence = complaintEvidence(base, 2, secrets[1].boxSecret, 1, broken, 3);
    expect(evidence).to.deep.equal(new Uint8Array(96));
    expect(judgeComplaint(base, keys[1], keys[0], broken, evidence, 3).verdict).to.equal("accused-guilty");
  });

  it("verifyCeremony: a clean round is complete and yields the joint key and public key shares", () => {
    const { base, keys, shares } = runCeremony(5, 3);
    const report = verifyCeremony({
      ceremonyBase: base,
      trusteeCount: 5,
      threshold: 3,
      keys: keys.map(encodeTrusteeKeys),
      shares,
      complaints: [],
    });
    expect(report.complete).to.equal(true);
    expect(report.findings).to.deep.equal([]);
    expect(pointEquals(report.jointKey!, jointPublicKey(keys))).to.equal(true);
    expect(report.publicKeyShares).to.have.length(5);
  });

  it("verifyCeremony reports missing and malformed postings and bad proofs", () => {
    const { base, keys, shares } = runCeremony(3, 2);
    const encoded = keys.map(encodeTrusteeKeys);
    const report = verifyCeremony({
      ceremonyBase: base,
      trusteeCount: 3,
      threshold: 2,
      keys: [encoded[0], { ...encoded[1], proofs: flip(encoded[1].proofs, 70) }, undefined],
      shares: [shares[0], shares[1].slice(1), undefined],
      complaints: [],
    });
    expect(report.findings.map((f) => `${f.trustee}:${f.kind}`)).to.deep.equal([
      "2:proof-of-knowledge-invalid",
      "3:keys-missing",
      "2:shares-malformed",
      "3:shares-missing",
    ]);
    expect(report.jointKey).to.equal(null);
  });
});

describe("key ceremony: flipping any byte fails with a reason (fast-check)", () => {
  before(initCrypto);

  it("any flipped byte of posted keys makes decoding or the proofs of knowledge fail", () => {
    const { base, keys } = runCeremony(3, 2, "flip-keys");
    const encoded = encodeTrusteeKeys(keys[1]);
    const fields = ["commitments", "proofs", "boxKey"] as const;
    fc.assert(
      fc.property(fc.constantFrom(...fields), fc.nat(), fc.integer({ min: 0, max: 7 }), (field, at, bit) => {
        const bytes = new Uint8Array(encoded[field]);
        bytes[at % bytes.length] ^= 1 << bit;
        const decoded = decodeTrusteeKeys(2, 2, { ...encoded, [field]: bytes });
        if (!decoded.ok) return decoded.reason.length > 0;
        const check = verifyTrusteeKeys(base, decoded.keys);
        return !check.ok && check.reason.length > 0;
      }),
      { numRuns: 200 },
    );
  });

  it("any flipped byte of a share ciphertext makes the recipient's check fail", () => {
    const { base, secrets, keys, shares } = runCeremony(3, 2, "flip-shares");
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 127 }), fc.integer({ min: 0, max: 7 }), (at, bit) => {
        const bytes = new Uint8Array(shares[0]);
        bytes[at] ^= 1 << bit;
        const recipient = at < 64 ? 2 : 3;
        const result = receiveShare(base, recipient, secrets[recipient - 1].boxSecret, keys[0], bytes, 3);
        return !result.ok && result.reason.length > 0;
      }),
      { numRuns: 200 },
    );
  });
});
