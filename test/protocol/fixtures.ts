/**
 * Deterministic fixtures shared by the protocol tests, the known-answer vector
 * generator (scripts/gen-vectors.ts) and the crypto benchmark: manifests, a
 * simulated key ceremony (Shamir sharing of the joint key by n trustees, each
 * dealing a polynomial of degree t-1) and election contexts.
 */
import type { Hex } from "viem";
import { generatePrivateKey, privateKeyToAccount, type PrivateKeyAccount } from "viem/accounts";
import {
  encryptBallot,
  seededNonceSource,
  type BallotChoices,
  type BallotCredential,
} from "../../server/protocol/ballot";
import type { SignedBallot } from "../../server/protocol/ballot-check";
import {
  blindCredentialRequest,
  credentialMessage,
  finalizeCredential,
} from "../../server/protocol/credential";
import { blindSign, type RegistrarKeyPair } from "../../server/protocol/credential-issuer";
import { nullifierOf as nullifierOfAddress, signBallot } from "../../server/protocol/eip712";
import { electionContext, type Address, type ElectionContext } from "../../server/protocol/context";
import { parseManifest, type Manifest } from "../../server/protocol/manifest";
import {
  baseMul,
  pointAdd,
  scalarAdd,
  scalarFromInt,
  scalarMul,
  type Point,
  type Scalar,
} from "../../server/protocol/primitives/group";
import type { NonceSource } from "../../server/protocol/primitives/elgamal";

export const CHAIN_ID = 31337n;
export const ELECTION: Address = "0x5fbdb2315678afecb367f032d93f642f64180aa3";

interface ContestSpec {
  id: string;
  options: number | string[];
  min: number;
  max: number;
}

export function buildManifest(
  contests: ContestSpec[],
  styles: string[][] = [contests.map((c) => c.id)],
  trustees = { count: 5, threshold: 3 },
): Manifest {
  const parsed = parseManifest({
    version: 1,
    electionId: "test-election",
    title: { en: "Test election" },
    contests: contests.map((c) => ({
      id: c.id,
      title: { en: c.id },
      minSelections: c.min,
      maxSelections: c.max,
      options: (typeof c.options === "number"
        ? Array.from({ length: c.options }, (_, i) => `${c.id}-option-${i + 1}`)
        : c.options
      ).map((id) => ({ id, title: { en: id } })),
    })),
    ballotStyles: styles.map((contestIds, i) => ({
      id: `style-${i}`,
      title: { en: `Style ${i}` },
      contests: contestIds,
    })),
    votingWindow: { opensAt: 1796515200, closesAt: 1796774400 },
    revotePolicy: "last-ballot-counts",
    trustees,
  });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.manifest;
}

/** The reference ballot: one contest of 5 options, choose exactly 1. */
export const referenceManifest = (trustees = { count: 5, threshold: 3 }): Manifest =>
  buildManifest([{ id: "party-list", options: 5, min: 1, max: 1 }], undefined, trustees);

/** The larger ballot: two contests, 5 options choose 1 and 12 options choose up to 3. */
export const largerManifest = (trustees = { count: 5, threshold: 3 }): Manifest =>
  buildManifest(
    [
      { id: "party-list", options: 5, min: 1, max: 1 },
      { id: "council", options: 12, min: 0, max: 3 },
    ],
    undefined,
    trustees,
  );

export interface TrusteeSetup {
  count: number;
  threshold: number;
  /** secretShares[i - 1] = s_i = sum over dealers l of f_l(i) */
  secretShares: Scalar[];
  /** publicShares[i - 1] = P_i = s_i * G */
  publicShares: Point[];
  /** commitments[l][k] = a_{l+1,k} * G */
  commitments: Point[][];
  jointKey: Point;
}

function evaluate(coefficients: Scalar[], x: number): Scalar {
  let acc = scalarFromInt(0);
  for (let k = coefficients.length - 1; k >= 0; k--)
    acc = scalarAdd(scalarMul(acc, scalarFromInt(x)), coefficients[k]);
  return acc;
}

/** Every trustee deals a random polynomial of degree t-1; the joint secret is the sum of the constant terms. */
export function simulateCeremony(count: number, threshold: number, nonces: NonceSource): TrusteeSetup {
  const polynomials = Array.from({ length: count }, () => Array.from({ length: threshold }, () => nonces()));
  const commitments = polynomials.map((coefficients) => coefficients.map((a) => baseMul(a)));
  const secretShares = Array.from({ length: count }, (_, i) =>
    polynomials.reduce((acc, f) => scalarAdd(acc, evaluate(f, i + 1)), scalarFromInt(0)),
  );
  const jointKey = commitments.slice(1).reduce((acc, c) => pointAdd(acc, c[0]), commitments[0][0]);
  return {
    count,
    threshold,
    secretShares,
    publicShares: secretShares.map((s) => baseMul(s)),
    commitments,
    jointKey,
  };
}

export interface Election {
  manifest: Manifest;
  trustees: TrusteeSetup;
  context: ElectionContext;
}

export function setupElection(manifest: Manifest, seed = "fixture-ceremony"): Election {
  const trustees = simulateCeremony(
    manifest.trustees.count,
    manifest.trustees.threshold,
    seededNonceSource(seed),
  );
  const context = electionContext(
    { chainId: CHAIN_ID, election: ELECTION },
    manifest,
    trustees.jointKey,
    trustees.commitments,
  );
  return { manifest, trustees, context };
}

/** A syntactically valid (not registrar-signed) credential: the ballot module treats it as opaque. */
export function dummyCredential(seedByte = 1, signatureBytes = 256) {
  return {
    messagePrefix: new Uint8Array(32).fill(seedByte),
    signature: new Uint8Array(signatureBytes).fill(seedByte ^ 0x5a),
  };
}

export const nullifierOf = (byte: number): Uint8Array => new Uint8Array(32).fill(byte);

export interface TestVoter {
  account: PrivateKeyAccount;
  styleIndex: number;
  credential: BallotCredential;
}

/** A voter with a real RFC 9474 credential from `registrar` for `styleIndex`. */
export async function credentialedVoter(
  context: ElectionContext,
  registrar: RegistrarKeyPair,
  styleIndex: number,
  privateKey: Hex = generatePrivateKey(),
): Promise<TestVoter> {
  const account = privateKeyToAccount(privateKey);
  const request = await blindCredentialRequest(
    registrar.modulus,
    credentialMessage(context, styleIndex, account.address),
  );
  const credential = await finalizeCredential(
    registrar.modulus,
    request,
    blindSign(registrar, request.blindedMessage),
  );
  return { account, styleIndex, credential };
}

/** Encrypts and signs a ballot for a credentialed voter. */
export async function signedBallotOf(
  context: ElectionContext,
  voter: TestVoter,
  choices: BallotChoices,
  sequence = 1n,
): Promise<SignedBallot> {
  const nullifier = nullifierOfAddress(context.election, voter.account.address);
  const { bytes } = encryptBallot(context, voter.styleIndex, choices, nullifier, voter.credential);
  return { ballot: bytes, sequence, signature: await signBallot(voter.account, context, bytes, sequence) };
}
