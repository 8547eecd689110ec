/**
 * Known-answer vectors for the ballot and the tally, from fixed seeds.
 *
 *   npm run vectors      (package.json: "vectors": "tsx scripts/gen-vectors.ts")
 *
 * writes test/vectors/ballot.json, tally.json and ceremony.json. Everything is
 * deterministic: the key ceremony, every encryption and proof nonce and the
 * decryption-share nonces come from seededNonceSource (Hq("test-nonce"; seed, u64(i))).
 * test/protocol/vectors.test.ts recomputes both files and compares them byte for
 * byte, and verifies the stored bytes. The credentials are placeholders of the
 * right lengths (the ballot module treats them as opaque), not registrar signatures.
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import {
  ballotHash,
  decodeBallot,
  encryptBallot,
  seededNonceSource,
  trackingCode,
  verifyBallotProofs,
  type BallotChoices,
} from "../server/protocol/ballot";
import { canonicalJson } from "../server/protocol/canonical-json";
import {
  complaintEvidence,
  dealShares,
  encodeTrusteeKeys,
  evaluatePolynomial,
  generateTrusteeSecret,
  jointPublicKey,
  publicKeyShare,
  trusteePublicKeys,
} from "../server/protocol/ceremony";
import { ceremonyBaseHash } from "../server/protocol/context";
import { scalarAdd, scalarFromInt } from "../server/protocol/primitives/group";
import { toHex } from "../server/protocol/primitives/bytes";
import { initCrypto } from "../server/protocol/primitives/sodium";
import {
  aggregateBallots,
  aggregateHash,
  computeTally,
  createDecryptionShare,
  encodeAggregate,
  verifyDecryptionShare,
  type DecryptionShare,
} from "../server/protocol/tally";
import { CHAIN_ID, ELECTION, buildManifest, setupElection, type Election } from "../test/protocol/fixtures";

const CEREMONY_SEED = "ballot-ledger/vectors/ceremony";

function vectorElection(): Election {
  const manifest = buildManifest(
    [
      {
        id: "party-list",
        options: ["green-union", "labour-alliance", "civic-platform", "rural-party", "new-people"],
        min: 1,
        max: 1,
      },
      { id: "council", options: 6, min: 0, max: 3 },
      { id: "referendum", options: ["yes", "no"], min: 1, max: 1 },
    ],
    [
      ["party-list", "council"],
      ["party-list", "referendum"],
    ],
    { count: 5, threshold: 3 },
  );
  return setupElection(manifest, CEREMONY_SEED);
}

const hexAll = (points: Uint8Array[]) => points.map((p) => toHex(p));

function electionJson(election: Election, withSecrets: boolean) {
  const { context, trustees } = election;
  return {
    chainId: CHAIN_ID.toString(),
    election: ELECTION,
    manifest: JSON.parse(canonicalJson(context.manifest)),
    manifestHash: toHex(context.manifestHash),
    ceremonySeed: CEREMONY_SEED,
    trustees: {
      count: trustees.count,
      threshold: trustees.threshold,
      commitments: trustees.commitments.map(hexAll),
      publicShares: hexAll(trustees.publicShares),
      ...(withSecrets ? { secretShares: hexAll(trustees.secretShares) } : {}),
    },
    jointKey: toHex(trustees.jointKey),
    baseHash: toHex(context.baseHash),
  };
}

interface BallotCase {
  name: string;
  styleIndex: number;
  choices: BallotChoices;
  nullifierByte: number;
  signatureBytes: number;
}

const BALLOT_CASES: BallotCase[] = [
  {
    name: "style 0, one party, no council seat",
    styleIndex: 0,
    choices: { "party-list": ["civic-platform"], council: [] },
    nullifierByte: 0x01,
    signatureBytes: 256,
  },
  {
    name: "style 0, three council seats (max)",
    styleIndex: 0,
    choices: {
      "party-list": ["green-union"],
      council: ["council-option-2", "council-option-4", "council-option-6"],
    },
    nullifierByte: 0x02,
    signatureBytes: 384,
  },
  {
    name: "style 1, referendum yes",
    styleIndex: 1,
    choices: { "party-list": ["new-people"], referendum: ["yes"] },
    nullifierByte: 0x03,
    signatureBytes: 512,
  },
];

const credentialOf = (c: BallotCase) => ({
  messagePrefix: new Uint8Array(32).fill(c.nullifierByte),
  signature: new Uint8Array(c.signatureBytes).fill(0xa0 + c.nullifierByte),
});
const nullifierOfCase = (c: BallotCase) => new Uint8Array(32).fill(c.nullifierByte).map((b, i) => b ^ i);

export function ballotVectors() {
  const election = vectorElection();
  const { context } = election;
  const ballots = BALLOT_CASES.map((c) => {
    const seed = `ballot-ledger/vectors/ballot/${c.nullifierByte}`;
    const nullifier = nullifierOfCase(c);
    const out = encryptBallot(
      context,
      c.styleIndex,
      c.choices,
      nullifier,
      credentialOf(c),
      seededNonceSource(seed),
    );
    const hash = ballotHash(out.bytes);
    return {
      name: c.name,
      styleIndex: c.styleIndex,
      choices: c.choices,
      nullifier: toHex(nullifier),
      credential: {
        messagePrefix: toHex(out.ballot.credential.messagePrefix),
        signature: toHex(out.ballot.credential.signature),
      },
      nonceSeed: seed,
      encryptionNonces: out.nonces.map(hexAll),
      bytes: toHex(out.bytes),
      ballotHash: toHex(hash),
      trackingCode: trackingCode(context, hash),
    };
  });
  // Negative vectors: valid bytes presented with the wrong nullifier, a flipped proof byte.
  const first = ballots[0];
  const flipped = Buffer.from(first.bytes.slice(2), "hex");
  flipped[flipped.length - 1] ^= 0x01;
  const rejected = [
    {
      name: "ballot 0 under another nullifier",
      bytes: first.bytes,
      nullifier: ballots[1].nullifier,
      reason: "contest party-list option green-union: 0/1 proof fails",
    },
    {
      name: "ballot 0 with the last byte of the council range proof flipped",
      bytes: toHex(flipped),
      nullifier: first.nullifier,
      reason: "contest council: range proof fails (selections must be in [0, 3])",
    },
  ];
  return {
    description:
      'ballot-ledger v1 ballot known-answer vectors (docs/protocol.md sections 4-5). Nonces: Hq("test-nonce"; utf8(seed), u64(i)), i = 0, 1, ... drawn in the order documented in section 5.4.',
    ...electionJson(election, false),
    ballots,
    rejected,
  };
}

export function tallyVectors() {
  const election = vectorElection();
  const { context, trustees } = election;
  const votes: [number, BallotChoices][] = [
    [0, { "party-list": ["civic-platform"], council: ["council-option-1"] }],
    [
      0,
      {
        "party-list": ["green-union"],
        council: ["council-option-1", "council-option-3", "council-option-6"],
      },
    ],
    [0, { "party-list": ["civic-platform"], council: [] }],
    [1, { "party-list": ["rural-party"], referendum: ["yes"] }],
    [1, { "party-list": ["civic-platform"], referendum: ["no"] }],
    [1, { "party-list": ["green-union"], referendum: ["yes"] }],
    [1, { "party-list": ["civic-platform"], referendum: ["yes"] }],
  ];
  const ballots = votes.map(([styleIndex, choices], i) => {
    const nullifier = new Uint8Array(32).fill(0x40 + i);
    const out = encryptBallot(
      context,
      styleIndex,
      choices,
      nullifier,
      { messagePrefix: new Uint8Array(32).fill(i), signature: new Uint8Array(256).fill(i) },
      seededNonceSource(`ballot-ledger/vectors/tally-ballot/${i}`),
    );
    const verified = verifyBallotProofs(context, out.bytes, nullifier);
    if (!verified.ok) throw new Error(verified.reason);
    return { nullifier: toHex(nullifier), bytes: toHex(out.bytes), ballot: verified.ballot };
  });
  const aggregate = aggregateBallots(
    context,
    ballots.map((b) => b.ballot),
  );
  const aggHash = aggregateHash(context, aggregate);
  const present = [1, 3, 4];
  const shares = present.map((index) => {
    const { bytes } = createDecryptionShare(
      context,
      aggregate,
      index,
      trustees.secretShares[index - 1],
      seededNonceSource(`ballot-ledger/vectors/decryption-share/${index}`),
    );
    return {
      trusteeIndex: index,
      nonceSeed: `ballot-ledger/vectors/decryption-share/${index}`,
      bytes: toHex(bytes),
    };
  });
  const verifiedShares: DecryptionShare[] = shares.map((s, k) => {
    const result = verifyDecryptionShare(
      context,
      aggregate,
      present[k],
      trustees.publicShares[present[k] - 1],
      Buffer.from(s.bytes.slice(2), "hex"),
    );
    if (!result.ok) throw new Error(result.reason);
    return result.share;
  });
  const tally = computeTally(context, aggregate, verifiedShares);
  if (!tally.ok) throw new Error(tally.reason);
  return {
    description:
      "ballot-ledger v1 tally known-answer vectors (docs/protocol.md section 6): ballots, aggregate, decryption shares of trustees 1, 3 and 4 of 5 (threshold 3), result.",
    ...electionJson(election, true),
    ballots: ballots.map(({ nullifier, bytes }) => ({ nullifier, bytes })),
    aggregate: toHex(encodeAggregate(aggregate)),
    aggregateHash: toHex(aggHash),
    decryptionShares: shares,
    result: tally.result,
    resultBytes: new TextDecoder().decode(tally.bytes),
    resultHash: toHex(tally.hash),
  };
}

/**
 * A 3-trustee, threshold-2 key ceremony of the vector election, round 0, run
 * with the protocol's own functions from one seed, plus a complaint: trustee 2
 * deals trustee 3 a share off by one and trustee 3 discloses it.
 */
export function ceremonyVectors() {
  const election = vectorElection();
  const manifest = { ...election.manifest, trustees: { count: 3, threshold: 2 } };
  const seed = "ballot-ledger/vectors/key-ceremony";
  const nonces = seededNonceSource(seed);
  const base = ceremonyBaseHash({ chainId: CHAIN_ID, election: ELECTION }, manifest, 0);
  const secrets = [1, 2, 3].map(() => generateTrusteeSecret(2, nonces));
  const keys = secrets.map((secret, i) => trusteePublicKeys(base, i + 1, secret, nonces));
  const shares = secrets.map((secret, i) => dealShares(base, i + 1, secret, keys, nonces));
  const cheating = {
    ...secrets[1],
    polynomial: [scalarAdd(secrets[1].polynomial[0], scalarFromInt(1)), secrets[1].polynomial[1]],
  };
  const cheatingShares = dealShares(base, 2, cheating, keys, nonces);
  const evidence = complaintEvidence(base, 3, secrets[2].boxSecret, 2, cheatingShares, 3, nonces());
  const commitments = keys.map((k) => k.commitments);
  return {
    description:
      "ballot-ledger v1 key-ceremony known-answer vectors (docs/protocol.md section 7): 3 trustees, threshold 2, round 0. Nonces: Hq(\"test-nonce\"; utf8(seed), u64(i)) drawn in this order: every trustee's polynomial then box secret; every trustee's proof nonces; every dealer's share nonces (recipients in increasing order); the cheating dealer's share nonces; the disclosure nonce.",
    chainId: CHAIN_ID.toString(),
    election: ELECTION,
    manifest: JSON.parse(canonicalJson(manifest)),
    ceremonyBase: toHex(base),
    nonceSeed: seed,
    trustees: keys.map((k, i) => {
      const encoded = encodeTrusteeKeys(k);
      return {
        index: k.index,
        polynomial: hexAll(secrets[i].polynomial),
        boxSecret: toHex(secrets[i].boxSecret),
        commitments: toHex(encoded.commitments),
        proofs: toHex(encoded.proofs),
        boxKey: toHex(encoded.boxKey),
        encryptedShares: toHex(shares[i]),
        sharesDealt: [1, 2, 3]
          .filter((j) => j !== i + 1)
          .map((j) => toHex(evaluatePolynomial(secrets[i].polynomial, j))),
      };
    }),
    jointKey: toHex(jointPublicKey(keys)),
    publicKeyShares: [1, 2, 3].map((j) => toHex(publicKeyShare(commitments, j))),
    complaint: {
      complainer: 3,
      accused: 2,
      accusedEncryptedShares: toHex(cheatingShares),
      evidence: toHex(evidence),
      verdict: "accused-guilty",
    },
  };
}

/** The exact file contents: two-space JSON with a final newline. */
export const vectorFile = (value: unknown): string => `${JSON.stringify(value, null, 2)}\n`;

export const VECTOR_DIR = path.join(__dirname, "..", "test", "vectors");

async function main() {
  await initCrypto();
  const ballot = ballotVectors();
  // Self-check before writing: the stored ballots decode and verify.
  for (const b of ballot.ballots) {
    const bytes = Buffer.from(b.bytes.slice(2), "hex");
    if (!decodeBallot(vectorElection().context, bytes).ok)
      throw new Error(`vector ${b.name} does not decode`);
  }
  writeFileSync(path.join(VECTOR_DIR, "ballot.json"), vectorFile(ballot));
  writeFileSync(path.join(VECTOR_DIR, "tally.json"), vectorFile(tallyVectors()));
  writeFileSync(path.join(VECTOR_DIR, "ceremony.json"), vectorFile(ceremonyVectors()));
  console.log(`wrote ${path.join(VECTOR_DIR, "ballot.json")}, tally.json and ceremony.json`);
}

if (require.main === module)
  main().catch((error) => {
    console.error(error);
    process.exit(1);
  });
