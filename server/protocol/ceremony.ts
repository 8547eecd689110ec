import { concatBytes, u32be, u8 } from "./primitives/bytes";
import { ByteReader } from "./primitives/encoding";
import {
  baseMul,
  pointAdd,
  pointEquals,
  pointMul,
  randomScalar,
  scalarAdd,
  scalarFromInt,
  scalarMul,
  type Point,
  type Scalar,
} from "./primitives/group";
import {
  encodeSigmaProof,
  proveDiscreteLog,
  readSigmaProof,
  SIGMA_PROOF_BYTES,
  verifyDiscreteLog,
  type SigmaProof,
} from "./primitives/proofs";
import {
  decryptShare,
  discloseShare,
  encryptShare,
  openDisclosedShare,
  SHARE_CIPHERTEXT_BYTES,
  SHARE_DISCLOSURE_BYTES,
  type ShareAddress,
} from "./primitives/share-encryption";

/**
 * The threshold key ceremony: Pedersen DKG with Feldman commitments, run
 * through the chain (docs/protocol.md, section 5). Trustees are numbered
 * 1..n; every hash of a round is bound to that round's ceremony base hash Q0.
 *
 *  1. Trustee i draws f_i(x) = a_{i,0} + ... + a_{i,t-1} x^(t-1) and a box key
 *     b_i; posts C_{i,k} = a_{i,k} G with Schnorr proofs, and B_i = b_i G.
 *  2. Once all have posted, i posts f_i(j) encrypted to B_j for every j != i.
 *  3. j checks f_i(j) G = sum_k j^k C_{i,k}; if not, it complains with a
 *     disclosure that lets anyone open that one share and judge.
 *  4. Joint key K = sum_i C_{i,0}; trustee j's secret share s_j = sum_i f_i(j),
 *     its public share P_j = s_j G = sum_i sum_k j^k C_{i,k}.
 */
export const COEFFICIENT_POK_TAG = "ceremony/coefficient-pok";
export const COMPLAINT_EVIDENCE_BYTES = SHARE_DISCLOSURE_BYTES;

export type CeremonyCheck = { ok: true } | { ok: false; reason: string };

/** What a trustee keeps secret (stored encrypted at rest by the trustee tool). */
export interface TrusteeSecret {
  /** a_{i,0}, ..., a_{i,t-1} */
  polynomial: Scalar[];
  boxSecret: Scalar;
}

/** What a trustee posts in step 1 (postTrusteeKeys). */
export interface TrusteePublicKeys {
  index: number;
  commitments: Point[];
  proofs: SigmaProof[];
  boxKey: Point;
}

export function generateTrusteeSecret(threshold: number, nonces: () => Scalar = randomScalar): TrusteeSecret {
  if (!Number.isInteger(threshold) || threshold < 1)
    throw new RangeError("threshold must be a positive integer");
  return { polynomial: Array.from({ length: threshold }, () => nonces()), boxSecret: nonces() };
}

const coefficientBinding = (ceremonyBase: Uint8Array, index: number, k: number, boxKey: Point) => ({
  tag: COEFFICIENT_POK_TAG,
  context: [ceremonyBase, u8(index), u32be(k), boxKey],
});

export function trusteePublicKeys(
  ceremonyBase: Uint8Array,
  index: number,
  secret: TrusteeSecret,
  nonces: () => Scalar = randomScalar,
): TrusteePublicKeys {
  const boxKey = baseMul(secret.boxSecret);
  const commitments = secret.polynomial.map((a) => baseMul(a));
  const proofs = secret.polynomial.map((a, k) =>
    proveDiscreteLog(coefficientBinding(ceremonyBase, index, k, boxKey), a, commitments[k], nonces()),
  );
  return { index, commitments, proofs, boxKey };
}

/** The three arguments of postTrusteeKeys. */
export interface EncodedTrusteeKeys {
  commitments: Uint8Array;
  proofs: Uint8Array;
  boxKey: Uint8Array;
}

export const encodeTrusteeKeys = (keys: TrusteePublicKeys): EncodedTrusteeKeys => ({
  commitments: concatBytes(...keys.commitments),
  proofs: concatBytes(...keys.proofs.map(encodeSigmaProof)),
  boxKey: keys.boxKey,
});

export type TrusteeKeysResult = { ok: true; keys: TrusteePublicKeys } | { ok: false; reason: string };

/** Parses posted keys; commitments and the box key must be canonical non-identity points. */
export function decodeTrusteeKeys(
  index: number,
  threshold: number,
  encoded: EncodedTrusteeKeys,
): TrusteeKeysResult {
  if (encoded.commitments.length !== 32 * threshold)
    return { ok: false, reason: `commitments must be ${32 * threshold} bytes` };
  if (encoded.proofs.length !== SIGMA_PROOF_BYTES * threshold)
    return { ok: false, reason: `proofs must be ${SIGMA_PROOF_BYTES * threshold} bytes` };
  const commitmentReader = new ByteReader(encoded.commitments);
  const proofReader = new ByteReader(encoded.proofs);
  const commitments: Point[] = [];
  const proofs: SigmaProof[] = [];
  for (let k = 0; k < threshold; k++) {
    const commitment = commitmentReader.point();
    if (commitment === null)
      return { ok: false, reason: `commitment ${k} is not a valid non-identity point` };
    const proof = readSigmaProof(proofReader);
    if (proof === null) return { ok: false, reason: `proof ${k} is not canonical` };
    commitments.push(commitment);
    proofs.push(proof);
  }
  const boxKey = new ByteReader(encoded.boxKey).point();
  if (encoded.boxKey.length !== 32 || boxKey === null)
    return { ok: false, reason: "box key is not a valid non-identity point" };
  return { ok: true, keys: { index, commitments, proofs, boxKey } };
}

export function verifyTrusteeKeys(ceremonyBase: Uint8Array, keys: TrusteePublicKeys): CeremonyCheck {
  for (let k = 0; k < keys.commitments.length; k++) {
    const binding = coefficientBinding(ceremonyBase, keys.index, k, keys.boxKey);
    if (!verifyDiscreteLog(binding, keys.commitments[k], keys.proofs[k]))
      return { ok: false, reason: `proof of knowledge of coefficient ${k} fails` };
  }
  return { ok: true };
}

export function evaluatePolynomial(polynomial: readonly Scalar[], x: number): Scalar {
  const at = scalarFromInt(x);
  let acc = scalarFromInt(0);
  for (let k = polynomial.length - 1; k >= 0; k--) acc = scalarAdd(scalarMul(acc, at), polynomial[k]);
  return acc;
}

/** sum_k x^k C_k: the point f(x) G must equal, from the dealer's commitments alone. */
export function committedValueAt(commitments: readonly Point[], x: number): Point {
  const at = scalarFromInt(x);
  let power = scalarFromInt(1);
  let acc = commitments[0];
  for (let k = 1; k < commitments.length; k++) {
    power = scalarMul(power, at);
    acc = pointAdd(acc, pointMul(power, commitments[k]));
  }
  return acc;
}

/** The recipients of a dealer's shares, in the order of postShares: every other index, increasing. */
export function shareRecipients(dealer: number, trusteeCount: number): number[] {
  return Array.from({ length: trusteeCount }, (_, i) => i + 1).filter((j) => j !== dealer);
}

/** The argument of postShares: f_i(j) encrypted to B_j for each j != i, in increasing j. */
export function dealShares(
  ceremonyBase: Uint8Array,
  dealer: number,
  secret: TrusteeSecret,
  allKeys: readonly TrusteePublicKeys[],
  nonces: () => Scalar = randomScalar,
): Uint8Array {
  const byIndex = new Map(allKeys.map((keys) => [keys.index, keys]));
  return concatBytes(
    ...shareRecipients(dealer, allKeys.length).map((recipient) => {
      const keys = byIndex.get(recipient);
      if (keys === undefined) throw new RangeError(`no keys for trustee ${recipient}`);
      const share = evaluatePolynomial(secret.polynomial, recipient);
      return encryptShare({ ceremonyBase, dealer, recipient }, keys.boxKey, share, nonces());
    }),
  );
}

/** The 64-byte ciphertext addressed to `recipient` inside a dealer's posted shares, or null. */
export function shareCiphertextFor(
  encryptedShares: Uint8Array,
  dealer: number,
  recipient: number,
  trusteeCount: number,
): Uint8Array | null {
  if (encryptedShares.length !== SHARE_CIPHERTEXT_BYTES * (trusteeCount - 1)) return null;
  const position = shareRecipients(dealer, trusteeCount).indexOf(recipient);
  if (position < 0) return null;
  return encryptedShares.subarray(position * SHARE_CIPHERTEXT_BYTES, (position + 1) * SHARE_CIPHERTEXT_BYTES);
}

export type ReceivedShare = { ok: true; share: Scalar } | { ok: false; reason: string };

/** Trustee `recipient` decrypts and checks the share a dealer sent it (step 3). */
export function receiveShare(
  ceremonyBase: Uint8Array,
  recipient: number,
  boxSecret: Scalar,
  dealerKeys: TrusteePublicKeys,
  encryptedShares: Uint8Array,
  trusteeCount: number,
): ReceivedShare {
  const dealer = dealerKeys.index;
  const ciphertext = shareCiphertextFor(encryptedShares, dealer, recipient, trusteeCount);
  if (ciphertext === null) return { ok: false, reason: "posted shares have the wrong length" };
  const share = decryptShare({ ceremonyBase, dealer, recipient }, boxSecret, ciphertext);
  if (share === null) return { ok: false, reason: "share ciphertext is malformed" };
  if (!pointEquals(baseMul(share), committedValueAt(dealerKeys.commitments, recipient)))
    return { ok: false, reason: "share does not match the dealer's commitments" };
  return { ok: true, share };
}

/**
 * The evidence of a complaint (argument of complain): the disclosure of the
 * one bad share, or 96 zero bytes when its ciphertext is malformed (nothing to
 * disclose: anyone sees the malformed bytes on chain).
 */
export function complaintEvidence(
  ceremonyBase: Uint8Array,
  recipient: number,
  boxSecret: Scalar,
  dealer: number,
  encryptedShares: Uint8Array,
  trusteeCount: number,
  nonce: Scalar = randomScalar(),
): Uint8Array {
  const ciphertext = shareCiphertextFor(encryptedShares, dealer, recipient, trusteeCount);
  const disclosure =
    ciphertext === null
      ? null
      : discloseShare({ ceremonyBase, dealer, recipient }, boxSecret, ciphertext, nonce);
  return disclosure ?? new Uint8Array(COMPLAINT_EVIDENCE_BYTES);
}

export type ComplaintVerdict =
  | { verdict: "accused-guilty"; reason: string }
  | { verdict: "complaint-unfounded"; reason: string }
  | { verdict: "evidence-invalid"; reason: string };

/** Anyone: judge a complaint from chain data alone. */
export function judgeComplaint(
  ceremonyBase: Uint8Array,
  complainer: TrusteePublicKeys,
  accused: TrusteePublicKeys,
  accusedEncryptedShares: Uint8Array,
  evidence: Uint8Array,
  trusteeCount: number,
): ComplaintVerdict {
  const ciphertext = shareCiphertextFor(
    accusedEncryptedShares,
    accused.index,
    complainer.index,
    trusteeCount,
  );
  if (ciphertext === null)
    return { verdict: "accused-guilty", reason: "posted shares have the wrong length" };
  const address: ShareAddress = { ceremonyBase, dealer: accused.index, recipient: complainer.index };
  const opened = openDisclosedShare(address, complainer.boxKey, ciphertext, evidence);
  switch (opened.kind) {
    case "malformed-ciphertext":
      return { verdict: "accused-guilty", reason: "share ciphertext is malformed" };
    case "invalid-disclosure":
      return { verdict: "evidence-invalid", reason: opened.reason };
    case "opened":
      return pointEquals(baseMul(opened.share), committedValueAt(accused.commitments, complainer.index))
        ? { verdict: "complaint-unfounded", reason: "the disclosed share matches the commitments" }
        : { verdict: "accused-guilty", reason: "the disclosed share does not match the commitments" };
  }
}

/** K = sum_i C_{i,0}, trustees in index order. */
export function jointPublicKey(allKeys: readonly TrusteePublicKeys[]): Point {
  return allKeys.map((keys) => keys.commitments[0]).reduce((acc, c) => pointAdd(acc, c));
}

/** P_j = sum_i sum_k j^k C_{i,k}: trustee j's public key share, from the commitments alone. */
export function publicKeyShare(commitments: readonly (readonly Point[])[], index: number): Point {
  return commitments.map((dealer) => committedValueAt(dealer, index)).reduce((acc, p) => pointAdd(acc, p));
}

/** s_j = sum_i f_i(j): trustee j's secret share from the shares it received and its own. */
export const secretKeyShare = (shares: readonly Scalar[]): Scalar =>
  shares.reduce((acc, s) => scalarAdd(acc, s), scalarFromInt(0));

// ------------------------------------------------------------ public check

export interface PostedComplaint {
  complainer: number;
  accused: number;
  evidence: Uint8Array;
}

export interface CeremonyRecord {
  ceremonyBase: Uint8Array;
  trusteeCount: number;
  threshold: number;
  /** keys[i - 1]: trustee i's posted keys, undefined when not posted. */
  keys: readonly (EncodedTrusteeKeys | undefined)[];
  /** shares[i - 1]: trustee i's posted encrypted shares, undefined when not posted. */
  shares: readonly (Uint8Array | undefined)[];
  complaints: readonly PostedComplaint[];
}

export interface CeremonyFinding {
  trustee: number;
  kind:
    | "keys-missing"
    | "keys-malformed"
    | "proof-of-knowledge-invalid"
    | "shares-missing"
    | "shares-malformed"
    | "complaint-upheld"
    | "complaint-unfounded"
    | "complaint-evidence-invalid";
  detail: string;
}

export interface CeremonyReport {
  /** True when every trustee posted valid keys and shares and no complaint stands. */
  complete: boolean;
  findings: CeremonyFinding[];
  /** The joint key and public key shares, when all keys are valid. */
  jointKey: Point | null;
  publicKeyShares: Point[];
  commitments: Point[][];
}

/** An observer's or auditor's check of one ceremony round, from posted data alone. */
export function verifyCeremony(record: CeremonyRecord): CeremonyReport {
  const findings: CeremonyFinding[] = [];
  const parsed: (TrusteePublicKeys | null)[] = [];
  for (let index = 1; index <= record.trusteeCount; index++) {
    const encoded = record.keys[index - 1];
    if (encoded === undefined) {
      findings.push({ trustee: index, kind: "keys-missing", detail: "no keys posted" });
      parsed.push(null);
      continue;
    }
    const decoded = decodeTrusteeKeys(index, record.threshold, encoded);
    if (!decoded.ok) {
      findings.push({ trustee: index, kind: "keys-malformed", detail: decoded.reason });
      parsed.push(null);
      continue;
    }
    const check = verifyTrusteeKeys(record.ceremonyBase, decoded.keys);
    if (!check.ok)
      findings.push({ trustee: index, kind: "proof-of-knowledge-invalid", detail: check.reason });
    parsed.push(check.ok ? decoded.keys : null);
  }
  for (let index = 1; index <= record.trusteeCount; index++) {
    const shares = record.shares[index - 1];
    if (shares === undefined)
      findings.push({ trustee: index, kind: "shares-missing", detail: "no shares posted" });
    else if (shares.length !== SHARE_CIPHERTEXT_BYTES * (record.trusteeCount - 1))
      findings.push({
        trustee: index,
        kind: "shares-malformed",
        detail: "posted shares have the wrong length",
      });
  }
  for (const complaint of record.complaints) {
    const complainer = parsed[complaint.complainer - 1];
    const accused = parsed[complaint.accused - 1];
    const shares = record.shares[complaint.accused - 1];
    if (complainer == null || accused == null || shares === undefined) {
      findings.push({
        trustee: complaint.complainer,
        kind: "complaint-evidence-invalid",
        detail: `complaint against ${complaint.accused} cannot be judged: keys or shares missing`,
      });
      continue;
    }
    const judged = judgeComplaint(
      record.ceremonyBase,
      complainer,
      accused,
      shares,
      complaint.evidence,
      record.trusteeCount,
    );
    if (judged.verdict === "accused-guilty")
      findings.push({ trustee: complaint.accused, kind: "complaint-upheld", detail: judged.reason });
    else
      findings.push({
        trustee: complaint.complainer,
        kind: judged.verdict === "complaint-unfounded" ? "complaint-unfounded" : "complaint-evidence-invalid",
        detail: `against ${complaint.accused}: ${judged.reason}`,
      });
  }
  const allKeys = parsed.every((keys) => keys !== null) ? (parsed as TrusteePublicKeys[]) : null;
  const commitments = allKeys === null ? [] : allKeys.map((keys) => keys.commitments);
  return {
    complete: findings.length === 0,
    findings,
    jointKey: allKeys === null ? null : jointPublicKey(allKeys),
    publicKeyShares:
      allKeys === null
        ? []
        : Array.from({ length: record.trusteeCount }, (_, i) => publicKeyShare(commitments, i + 1)),
    commitments,
  };
}
