import { keccak256, type Hex } from "viem";
import type { AccountWalletClient } from "../chain/clients";
import type { ChainPublicClient } from "../chain/deploy";
import { ElectionCallError, findElectionCreated, sendElectionTx } from "../chain/election-reader";
import { electionAbi } from "../chain/generated/abis";
import {
  CANCELLED_SEQUENCE,
  decodeCredentialFields,
  recoverCancellationSigner,
  type Cancellation,
} from "../protocol/channel";
import type { Address, ElectionLocation } from "../protocol/context";
import { verifyCredential } from "../protocol/credential";
import { nullifierOf } from "../protocol/eip712";
import { parseManifestBytes, type Manifest } from "../protocol/manifest";
import { fromHex, hexToBytes } from "../protocol/primitives/bytes";
import type { PrecinctEntry } from "./roll";

/**
 * The precinct's question, "may this person get a paper ballot?", answered
 * from its table of online-roll voters and the chain's journal, and the
 * on-chain record of each paper ballot handed to an online-roll voter
 * (docs/protocol.md 11.3, 11.4). Every answer carries a code of the closed
 * union below; a refusal records nothing.
 */
export type PrecinctCode =
  /** Not on the online roll: an ordinary paper voter, nothing goes on chain. */
  | "not-on-online-roll"
  /** On the online roll, neither a credential nor a paper ballot: the paper ballot is recorded, then handed. */
  | "may-issue"
  | "paper-already-issued"
  /** A credential was issued: refused, unless the voter cancels the online channel (11.4). */
  | "credential-issued"
  | "cancellation-not-allowed"
  | "cancellation-malformed"
  | "cancellation-wrong-election"
  | "cancellation-wrong-voter"
  | "cancellation-wrong-style"
  | "cancellation-bad-signature"
  | "cancellation-invalid-credential"
  | "no-credential-to-cancel"
  | "already-cancelled"
  | "chain-refused";

export interface PaperAnswer {
  /** Whether a paper ballot may be handed to this person now. */
  mayIssue: boolean;
  code: PrecinctCode;
  reason: string;
  voterIdHash?: Hex;
  style?: number;
  /** Set by issue-paper when the chain recorded the paper ballot. */
  transactionHash?: Hex;
}

export interface PrecinctElection {
  client: ChainPublicClient;
  location: ElectionLocation;
  manifest: Manifest;
  creationBlock: bigint;
  /** Online-roll voters of this precinct, by voter id. */
  table: ReadonlyMap<string, PrecinctEntry>;
}

const refused = (code: PrecinctCode, reason: string, entry?: PrecinctEntry): PaperAnswer => ({
  mayIssue: false,
  code,
  reason,
  voterIdHash: entry?.voterIdHash,
  style: entry?.style,
});

/** The election as the precinct needs it: its manifest (for the styles and the policy) and chain. */
export async function openPrecinctElection(
  client: ChainPublicClient,
  election: Address,
  entries: readonly PrecinctEntry[],
): Promise<PrecinctElection> {
  const [factory, chainId, head] = await Promise.all([
    client.readContract({ address: election, abi: electionAbi, functionName: "factory" }),
    client.getChainId(),
    client.getBlockNumber({ cacheTime: 0 }),
  ]);
  const created = await findElectionCreated(client, factory, election, head);
  const parsed = parseManifestBytes(hexToBytes(created.args.manifest));
  if (!parsed.ok) throw new Error(`election ${election}: ${parsed.reason}`);
  for (const entry of entries)
    if (entry.style >= parsed.manifest.ballotStyles.length)
      throw new Error(`voter ${entry.voterId}: ballot style ${entry.style} is not a style of the election`);
  return {
    client,
    location: { chainId: BigInt(chainId), election },
    manifest: parsed.manifest,
    creationBlock: created.blockNumber,
    table: new Map(entries.map((e) => [e.voterId, e])),
  };
}

async function journalOf(p: PrecinctElection, voterIdHash: Hex) {
  const read = (functionName: "isIssued" | "hasPaperBallot") =>
    p.client.readContract({
      address: p.location.election,
      abi: electionAbi,
      functionName,
      args: [voterIdHash],
    });
  const [issued, paper] = await Promise.all([read("isIssued"), read("hasPaperBallot")]);
  return { issued, paper };
}

const cancellationAllowed = (manifest: Manifest) => manifest.paperCancellation === "at-precinct";

/** `precinct check`: may this person get a paper ballot? Reads only. */
export async function checkPaper(p: PrecinctElection, voterId: string): Promise<PaperAnswer> {
  const entry = p.table.get(voterId);
  if (entry === undefined)
    return {
      mayIssue: true,
      code: "not-on-online-roll",
      reason: `${voterId} did not apply for online voting: hand a paper ballot, nothing is recorded on chain`,
    };
  const journal = await journalOf(p, entry.voterIdHash);
  if (journal.paper)
    return refused("paper-already-issued", `a paper ballot was already recorded for ${voterId}`, entry);
  if (journal.issued)
    return refused(
      "credential-issued",
      cancellationAllowed(p.manifest)
        ? `${voterId} holds an online credential: paper only after the voter cancels the online ballot with the voting key`
        : `${voterId} holds an online credential, and this election allows no cancellation`,
      entry,
    );
  return {
    mayIssue: true,
    code: "may-issue",
    reason: `${voterId} is on the online roll without credential: record the paper ballot, then hand it`,
    voterIdHash: entry.voterIdHash,
    style: entry.style,
  };
}

const CHAIN_REFUSALS: Record<string, PrecinctCode> = {
  CredentialAlreadyIssued: "credential-issued",
  PaperBallotAlreadyIssued: "paper-already-issued",
  NoCredentialToCancel: "no-credential-to-cancel",
  AlreadyCancelled: "already-cancelled",
  InvalidCancellationSignature: "cancellation-bad-signature",
};

async function send(
  entry: PrecinctEntry,
  call: () => Promise<{ transactionHash: Hex }>,
): Promise<PaperAnswer> {
  try {
    const receipt = await call();
    return {
      mayIssue: true,
      code: "may-issue",
      reason: `paper ballot recorded for ${entry.voterId} (${receipt.transactionHash}): hand it`,
      voterIdHash: entry.voterIdHash,
      style: entry.style,
      transactionHash: receipt.transactionHash,
    };
  } catch (error) {
    if (!(error instanceof ElectionCallError)) throw error;
    return refused(CHAIN_REFUSALS[error.errorName] ?? "chain-refused", error.message, entry);
  }
}

/** `precinct issue-paper`: records the paper ballot of an online-roll voter without credential. */
export async function issuePaper(
  p: PrecinctElection,
  wallet: AccountWalletClient,
  voterId: string,
): Promise<PaperAnswer> {
  const answer = await checkPaper(p, voterId);
  if (answer.code !== "may-issue") return answer;
  const entry = p.table.get(voterId)!;
  return send(entry, () =>
    sendElectionTx(wallet, p.client, p.location.election, "recordPaperBallot", [
      entry.voterIdHash,
      entry.style,
    ]),
  );
}

/**
 * `precinct issue-paper --cancellation FILE`: checks the voter's signed
 * cancellation (election, journal key, style, signature, credential against
 * the registrar's key on chain), then cancels the online channel and records
 * the paper ballot in one transaction.
 */
export async function issuePaperAfterCancellation(
  p: PrecinctElection,
  wallet: AccountWalletClient,
  voterId: string,
  cancellation: Cancellation,
): Promise<PaperAnswer> {
  const entry = p.table.get(voterId);
  if (entry === undefined)
    return refused("not-on-online-roll", `${voterId} is not on the online roll: nothing to cancel`);
  if (!cancellationAllowed(p.manifest))
    return refused("cancellation-not-allowed", "this election allows no cancellation", entry);
  const { location } = p;
  if (
    cancellation.chainId !== location.chainId.toString() ||
    cancellation.election.toLowerCase() !== location.election.toLowerCase()
  )
    return refused(
      "cancellation-wrong-election",
      `the cancellation is for election ${cancellation.election} on chain ${cancellation.chainId}`,
      entry,
    );
  if (cancellation.voterIdHash.toLowerCase() !== entry.voterIdHash)
    return refused("cancellation-wrong-voter", `the cancellation names another voter than ${voterId}`, entry);
  if (cancellation.style !== entry.style)
    return refused(
      "cancellation-wrong-style",
      `the cancellation is for style ${cancellation.style}, ${voterId} votes style ${entry.style}`,
      entry,
    );
  const credentialBytes = fromHex(cancellation.credential);
  const credential = credentialBytes === null ? null : decodeCredentialFields(credentialBytes);
  if (credential === null)
    return refused("cancellation-malformed", "the credential is not LP(prefix) || LP(signature)", entry);
  const signer = await recoverCancellationSigner(location, cancellation);
  if (signer === null)
    return refused("cancellation-bad-signature", "the cancellation's signature does not recover", entry);
  const modulus = await registrarModulus(p, entry.style);
  const check =
    modulus === null
      ? { ok: false as const, reason: `no registrar key for style ${entry.style}` }
      : await verifyCredential(location, entry.style, signer, credential, modulus);
  if (!check.ok) return refused("cancellation-invalid-credential", check.reason, entry);
  const journal = await journalOf(p, entry.voterIdHash);
  if (journal.paper)
    return refused("paper-already-issued", `a paper ballot was already recorded for ${voterId}`, entry);
  if (!journal.issued)
    return refused(
      "no-credential-to-cancel",
      `${voterId} holds no credential: issue paper without one`,
      entry,
    );
  const latest = await p.client.readContract({
    address: location.election,
    abi: electionAbi,
    functionName: "latestSequence",
    args: [nullifierOf(location.election, signer)],
  });
  if (latest === CANCELLED_SEQUENCE)
    return refused("already-cancelled", "this voting key's online ballot is already cancelled", entry);
  return send(entry, () =>
    sendElectionTx(wallet, p.client, location.election, "recordPaperBallotAfterCancellation", [
      entry.voterIdHash,
      entry.style,
      cancellation.credential,
      cancellation.signature,
    ]),
  );
}

/** The registrar's modulus for a style: the last RegistrarKeySet, checked against registrarKeyHash. */
async function registrarModulus(p: PrecinctElection, style: number): Promise<Uint8Array | null> {
  const { client, location } = p;
  const keyHash = await client.readContract({
    address: location.election,
    abi: electionAbi,
    functionName: "registrarKeyHash",
    args: [style],
  });
  if (/^0x0+$/.test(keyHash)) return null;
  const head = await client.getBlockNumber({ cacheTime: 0 });
  const page = 2_000n;
  let modulus: Hex | null = null;
  for (let start = p.creationBlock; start <= head; start += page) {
    const end = start + page - 1n < head ? start + page - 1n : head;
    const events = await client.getContractEvents({
      address: location.election,
      abi: electionAbi,
      eventName: "RegistrarKeySet",
      args: { style },
      fromBlock: start,
      toBlock: end,
      strict: true,
    });
    for (const event of events)
      if (keccak256(event.args.rsaModulus) === keyHash) modulus = event.args.rsaModulus;
  }
  return modulus === null ? null : hexToBytes(modulus);
}
