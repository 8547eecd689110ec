/**
 * A whole recorded election on a local node, driven with the protocol's own
 * functions through standard JSON-RPC (plus evm_increaseTime/evm_mine to move
 * the clock): factory, election, roles, a real key ceremony, registrar keys,
 * an issuance journal, credentialed voters casting through the relay role
 * (with a re-vote and a replay the contract refuses), decryption shares and
 * the published result. Every random choice is seeded and the registrar keys
 * and credentials are shared through `ElectionMaterial`, so the same flow on
 * two nodes (Hardhat's and anvil) sends byte-identical transactions.
 *
 * Faults the contract cannot see can be planted: a ballot with a forged
 * credential, a ballot with a bad proof, a wrong decryption share, a result
 * off by one vote.
 */
import { keccak256, stringToHex, toHex, type Address, type Hex } from "viem";
import { privateKeyToAccount } from "viem/accounts";
import type { AccountWalletClient, ChainEndpoint } from "../../server/chain/clients";
import { castBallots, type CastOutcome, type ChainPublicClient } from "../../server/chain/deploy";
import { readElectionRecord, sendElectionTx, signedBallotOfRecord } from "../../server/chain/election-reader";
import { setUpElection } from "../chain/election-flow";
import type { LocalNode } from "../../server/chain/local-node";
import {
  ballotHash,
  challengeReveal,
  encryptBallot,
  seededNonceSource,
  trackingCode,
  type BallotChoices,
  type BallotCredential,
  type BenalohReveal,
} from "../../server/protocol/ballot";
import { checkSignedBallot } from "../../server/protocol/ballot-check";
import { evaluatePolynomial, secretKeyShare } from "../../server/protocol/ceremony";
import type { ElectionContext } from "../../server/protocol/context";
import { applyCountingRules } from "../../server/protocol/counting";
import {
  blindCredentialRequest,
  credentialMessage,
  finalizeCredential,
} from "../../server/protocol/credential";
import {
  blindSign,
  generateRegistrarKey,
  type RegistrarKeyPair,
} from "../../server/protocol/credential-issuer";
import { nullifierOf, signBallot } from "../../server/protocol/eip712";
import { parseManifest, type Manifest } from "../../server/protocol/manifest";
import { scalarAdd, scalarFromInt, type Scalar } from "../../server/protocol/primitives/group";
import {
  aggregateBallots,
  aggregateHash as aggregateHashOf,
  computeTally,
  createDecryptionShare,
  decodeDecryptionShare,
  encodeResult,
  resultHash,
  type DecryptionShare,
  type TallyResult,
} from "../../server/protocol/tally";
import type { SignedBallot } from "../../server/chain/deploy";

/** Fixed window far in the future, so the manifest (and Q) is the same on every node. */
export const OPENS_AT = 4_000_000_000;
export const CLOSES_AT = OPENS_AT + 3 * 86_400;

export function fixtureManifest(): Manifest {
  const parsed = parseManifest({
    version: 1,
    electionId: "observer-fixture",
    title: { en: "Observer fixture election" },
    contests: [
      {
        id: "party-list",
        title: { en: "Party list" },
        minSelections: 1,
        maxSelections: 1,
        options: ["blue", "green", "red"].map((id) => ({ id, title: { en: id } })),
      },
      {
        id: "council",
        title: { en: "Council" },
        minSelections: 0,
        maxSelections: 2,
        options: ["ada", "bob", "cyd"].map((id) => ({ id, title: { en: id } })),
      },
    ],
    ballotStyles: [
      { id: "north", title: { en: "North" }, contests: ["party-list", "council"] },
      { id: "south", title: { en: "South" }, contests: ["party-list"] },
    ],
    votingWindow: { opensAt: OPENS_AT, closesAt: CLOSES_AT },
    revotePolicy: "last-ballot-counts",
    trustees: { count: 3, threshold: 2 },
  });
  if (!parsed.ok) throw new Error(parsed.reason);
  return parsed.manifest;
}

export interface VoterSpec {
  name: string;
  style: number;
  /** Journaled by the registrar (a forger is not). */
  issued: boolean;
}

export const VOTERS: VoterSpec[] = [
  { name: "alice", style: 0, issued: true },
  { name: "bob", style: 0, issued: true },
  { name: "carol", style: 1, issued: true },
  { name: "dave", style: 1, issued: true },
  { name: "erin", style: 0, issued: true },
  { name: "mallory", style: 0, issued: false },
  { name: "frank", style: 1, issued: true },
];

/** What stays the same across nodes: registrar keys (RSA key generation is random) and credentials. */
export interface ElectionMaterial {
  registrarKeys: RegistrarKeyPair[];
  credentials: Map<string, BallotCredential>;
}

export const newMaterial = (manifest = fixtureManifest()): ElectionMaterial => ({
  registrarKeys: manifest.ballotStyles.map(() => generateRegistrarKey(2048)),
  credentials: new Map(),
});

export interface Faults {
  /** mallory casts with a credential issued to another voting address. */
  forgedCredential?: boolean;
  /** frank's ballot has a broken 0/1 proof. */
  badProof?: boolean;
  /** trustee 3 posts a share made with a wrong secret. */
  wrongShare?: boolean;
  /** the commission publishes a result with one vote more for party-list/blue. */
  resultOffByOne?: boolean;
}

export const ALL_FAULTS: Faults = {
  forgedCredential: true,
  badProof: true,
  wrongShare: true,
  resultOffByOne: true,
};

export type Phase = "ready" | "first-batch" | "second-batch" | "closed" | "result";

export interface CastBallot {
  voter: string;
  sequence: number;
  bytes: Uint8Array;
  trackingCode: string;
  /** What the test expects of it. */
  expected: "counted" | "superseded" | "excluded" | "refused";
}

export interface RecordedElection {
  endpoint: ChainEndpoint;
  client: ChainPublicClient;
  election: Address;
  manifest: Manifest;
  context: ElectionContext;
  commission: AccountWalletClient;
  observerKey: Hex;
  secondObserverKey: Hex;
  ballots: CastBallot[];
  outcomes: CastOutcome[];
  /** The true result of the counted ballots. */
  trueResult: TallyResult;
  publishedResult: string;
  /** A Benaloh challenge of a ballot the voter did not cast. */
  challenge: { ballot: Hex; reveal: BenalohReveal; choices: Record<string, string[]> };
}

const voterKey = (name: string): Hex => keccak256(stringToHex(`observer-fixture voter ${name}`));

export async function advanceTimeTo(client: ChainPublicClient, timestamp: number): Promise<void> {
  const now = Number((await client.getBlock()).timestamp);
  if (timestamp > now)
    await client.request({ method: "evm_increaseTime" as never, params: [timestamp - now] as never });
  await client.request({ method: "evm_mine" as never, params: [] as never });
}

async function credentialFor(
  material: ElectionMaterial,
  location: { chainId: bigint; election: Address },
  style: number,
  address: Address,
): Promise<BallotCredential> {
  const key = `${location.chainId}:${location.election.toLowerCase()}:${style}:${address.toLowerCase()}`;
  let credential = material.credentials.get(key);
  if (credential === undefined) {
    const registrar = material.registrarKeys[style];
    const request = await blindCredentialRequest(
      registrar.modulus,
      credentialMessage(location, style, address),
    );
    credential = await finalizeCredential(
      registrar.modulus,
      request,
      blindSign(registrar, request.blindedMessage),
    );
    material.credentials.set(key, credential);
  }
  return credential;
}

export interface PreparedElection {
  endpoint: ChainEndpoint;
  client: ChainPublicClient;
  election: Address;
  manifest: Manifest;
  context: ElectionContext;
  location: { chainId: bigint; election: Address };
  commission: AccountWalletClient;
  registrar: AccountWalletClient;
  relay: AccountWalletClient;
  trustees: AccountWalletClient[];
  /** s_j of trustee j = index + 1. */
  secretShares: Scalar[];
}

/**
 * Accounts: 0 commission, 1 registrar, 2 relay, 3 observer, 4-6 trustees, 7 a second observer.
 * Deploys, appoints, runs the key ceremony, posts the registrar keys and journals the voters' issuances.
 */
export async function prepareElection(
  node: LocalNode,
  material: ElectionMaterial,
  voters: readonly VoterSpec[],
): Promise<PreparedElection> {
  // The one live-election builder, with a seeded ceremony (the same on every node) and the material's keys.
  const e = await setUpElection(node, () => fixtureManifest(), {
    seed: "observer fixture",
    registrarKeys: material.registrarKeys,
  });
  const { endpoint, client, election, manifest, context, commission, registrar, relay, trustees } = e;
  const location = { chainId: BigInt(node.chainId), election };
  // s_j = sum over dealers i of f_i(j) (protocol.md 7.5).
  const secretShares: Scalar[] = trustees.map((_, j) =>
    secretKeyShare(e.trusteeSecrets.map((secret) => evaluatePolynomial(secret.polynomial, j + 1))),
  );
  for (const voter of voters.filter((v) => v.issued))
    await sendElectionTx(registrar, client, election, "recordIssuance", [
      keccak256(stringToHex(`voter id ${voter.name}`)),
      voter.style,
      keccak256(stringToHex(`request ${voter.name}`)),
    ]);
  return {
    endpoint,
    client,
    election,
    manifest,
    context,
    location,
    commission,
    registrar,
    relay,
    trustees,
    secretShares,
  };
}

/** A voter's ballot, encrypted with seeded nonces and signed with the voter's (deterministic) key. */
export async function signedBallotFor(
  prepared: PreparedElection,
  material: ElectionMaterial,
  voter: VoterSpec,
  choices: BallotChoices,
  sequence: number,
  options: { tamper?: (bytes: Uint8Array) => Uint8Array; credentialOwner?: string } = {},
): Promise<{ signed: SignedBallot; bytes: Uint8Array; trackingCode: string }> {
  const { context, location } = prepared;
  const account = privateKeyToAccount(voterKey(voter.name));
  const owner = privateKeyToAccount(voterKey(options.credentialOwner ?? voter.name)).address;
  const credential = await credentialFor(material, location, voter.style, owner);
  const { bytes: honest } = encryptBallot(
    context,
    voter.style,
    choices,
    nullifierOf(location.election, account.address),
    credential,
    seededNonceSource(`ballot ${voter.name} ${sequence}`),
  );
  const bytes = options.tamper ? options.tamper(honest) : honest;
  const signature = await signBallot(account, location, bytes, BigInt(sequence));
  return {
    signed: { ballot: toHex(bytes), sequence: BigInt(sequence), signature },
    bytes,
    trackingCode: trackingCode(context, ballotHash(bytes)),
  };
}

/** Accounts: 0 commission, 1 registrar, 2 relay, 3 observer, 4-6 trustees, 7 a second observer. */
export async function runElection(
  node: LocalNode,
  material: ElectionMaterial,
  faults: Faults = {},
  onPhase: (phase: Phase, election: Address) => Promise<void> = async () => {},
): Promise<RecordedElection> {
  const prepared = await prepareElection(node, material, VOTERS);
  const {
    endpoint,
    client,
    election,
    manifest,
    context,
    location,
    commission,
    relay,
    trustees,
    secretShares,
  } = prepared;
  await onPhase("ready", election);

  // Voting.
  await advanceTimeTo(client, OPENS_AT);
  const cast: CastBallot[] = [];
  const ballotOf = async (
    name: string,
    choices: BallotChoices,
    sequence: number,
    expected: CastBallot["expected"],
    tamper?: (bytes: Uint8Array) => Uint8Array,
    credentialOwner?: string,
  ): Promise<SignedBallot> => {
    const spec = VOTERS.find((v) => v.name === name)!;
    const made = await signedBallotFor(prepared, material, spec, choices, sequence, {
      tamper,
      credentialOwner,
    });
    cast.push({ voter: name, sequence, bytes: made.bytes, trackingCode: made.trackingCode, expected });
    return made.signed;
  };
  const north = (party: string, council: string[]) => ({ "party-list": [party], council });
  const south = (party: string) => ({ "party-list": [party] });
  const outcomes: CastOutcome[] = [];
  outcomes.push(
    await castBallots(relay, client, election, [
      await ballotOf("alice", north("blue", ["ada"]), 1, "counted"),
      await ballotOf("bob", north("green", ["ada", "bob"]), 1, "superseded"),
      await ballotOf("carol", south("red"), 1, "counted"),
      await ballotOf("dave", south("blue"), 1, "counted"),
    ]),
  );
  await onPhase("first-batch", election);
  const second: SignedBallot[] = [
    await ballotOf("bob", north("red", []), 2, "counted"),
    // A replay of alice's first ballot: the contract refuses it (SequenceNotHigher).
    await ballotOf("alice", north("blue", ["ada"]), 1, "refused"),
    await ballotOf("erin", north("green", ["cyd"]), 1, "counted"),
  ];
  if (faults.forgedCredential)
    second.push(await ballotOf("mallory", north("blue", []), 1, "excluded", undefined, "alice"));
  if (faults.badProof)
    second.push(
      await ballotOf("frank", south("green"), 1, "excluded", (bytes) => {
        const broken = bytes.slice();
        // The first option's 0/1 proof starts after the header (4 + 4 + 36 + 4 + 256) and A || B (64).
        broken[304 + 64] ^= 0x01;
        return broken;
      }),
    );
  else second.push(await ballotOf("frank", south("green"), 1, "counted"));
  outcomes.push(await castBallots(relay, client, election, second));
  await onPhase("second-batch", election);

  // The tally: the trustees aggregate the counted ballots and post their shares.
  await advanceTimeTo(client, CLOSES_AT);
  await onPhase("closed", election);
  const record = await readElectionRecord(client, election);
  const rules = {
    context,
    registrarKeys: new Map(material.registrarKeys.map((k, style) => [style, k.modulus])),
  };
  const checks = await Promise.all(
    record.ballots.map((b) => checkSignedBallot(rules, signedBallotOfRecord(b))),
  );
  const counting = applyCountingRules(
    record.ballots.map((b, i) => ({ index: b.index, nullifier: b.nullifier, check: checks[i] })),
  );
  const aggregate = aggregateBallots(
    context,
    counting.counted.map((c) => c.ballot),
  );
  const shares: DecryptionShare[] = [];
  for (const [i, wallet] of trustees.entries()) {
    const index = i + 1;
    const secret =
      faults.wrongShare && index === 3 ? scalarAdd(secretShares[i], scalarFromInt(1)) : secretShares[i];
    const { bytes } = createDecryptionShare(
      context,
      aggregate,
      index,
      secret,
      seededNonceSource(`decryption ${index}`),
    );
    const decoded = decodeDecryptionShare(context, bytes);
    if (decoded.ok && !(faults.wrongShare && index === 3)) shares.push(decoded.share);
    await sendElectionTx(wallet, client, election, "postDecryptionShare", [
      toHex(aggregateHashOf(context, aggregate)),
      toHex(bytes),
    ]);
  }
  const tally = computeTally(context, aggregate, shares.slice(0, 2));
  if (!tally.ok) throw new Error(tally.reason);
  let published = tally.result;
  if (faults.resultOffByOne)
    published = {
      ...tally.result,
      "party-list": { ...tally.result["party-list"], blue: tally.result["party-list"].blue + 1 },
    };
  const publishedBytes = encodeResult(published);
  await sendElectionTx(commission, client, election, "publishResult", [
    toHex(resultHash(context, publishedBytes)),
    toHex(publishedBytes),
  ]);
  await onPhase("result", election);

  // A ballot the voter challenged instead of casting (never sent to the chain).
  const challengeVoter = privateKeyToAccount(voterKey("alice"));
  const challenged = encryptBallot(
    context,
    0,
    north("green", ["bob", "cyd"]),
    nullifierOf(election, challengeVoter.address),
    await credentialFor(material, location, 0, challengeVoter.address),
    seededNonceSource("challenged ballot"),
  );
  return {
    endpoint,
    client,
    election,
    manifest,
    context,
    commission,
    observerKey: node.privateKeys[3],
    secondObserverKey: node.privateKeys[7],
    ballots: cast,
    outcomes,
    trueResult: tally.result,
    publishedResult: new TextDecoder().decode(publishedBytes),
    challenge: {
      ballot: toHex(challenged.bytes),
      reveal: challengeReveal(challenged, north("green", ["bob", "cyd"])),
      choices: { "party-list": ["green"], council: ["bob", "cyd"] },
    },
  };
}
