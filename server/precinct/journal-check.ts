import { privateKeyToAccount } from "viem/accounts";
import type { Hex } from "viem";
import type { ChainPublicClient } from "../chain/deploy";
import { fetchElectionLogs, findElectionCreated } from "../chain/election-reader";
import { electionAbi } from "../chain/generated/abis";
import { journalKey, signCancellation, type Cancellation } from "../protocol/channel";
import type { Address, ElectionLocation } from "../protocol/context";
import { hexToBytes } from "../protocol/primitives/bytes";
import type { VoterWallet } from "../voter/wallet-file";

/**
 * The voter's own journal entry (docs/protocol.md 11.5): the voter computes
 * their journal key from the invitation (voter id and code) and reads what
 * the chain holds under it. Nobody else can compute the key.
 */
export interface JournalEntry {
  voterIdHash: Hex;
  /** Whether the key is on a published online roll; null when the election published none. */
  onOnlineRoll: { style: number } | null | false;
  credential: { style: number; blockNumber: string; transactionHash: Hex } | null;
  paperBallot: { style: number; precinct: Address; blockNumber: string; transactionHash: Hex } | null;
  cancellation: { nullifier: Hex; blockNumber: string } | null;
}

export type JournalVerdict =
  /** Nothing under the key beyond the roll entry: no credential, no paper ballot. */
  "unused" | "credential-issued" | "paper-ballot-issued" | "cancelled-then-paper" | "not-on-online-roll";

export async function readJournalEntry(
  client: ChainPublicClient,
  election: Address,
  voterId: string,
  code: string,
): Promise<JournalEntry> {
  const [factory, chainId, head] = await Promise.all([
    client.readContract({ address: election, abi: electionAbi, functionName: "factory" }),
    client.getChainId(),
    client.getBlockNumber({ cacheTime: 0 }),
  ]);
  const location: ElectionLocation = { chainId: BigInt(chainId), election };
  const voterIdHash = journalKey(location, voterId, code);
  const created = await findElectionCreated(client, factory, election, head);
  const logs = await fetchElectionLogs(client, election, created.blockNumber, head);
  const entry: JournalEntry = {
    voterIdHash,
    onOnlineRoll: null,
    credential: null,
    paperBallot: null,
    cancellation: null,
  };
  const mine = (hash: Hex) => hash.toLowerCase() === voterIdHash;
  for (const log of logs) {
    const where = { blockNumber: log.blockNumber.toString(), transactionHash: log.transactionHash };
    switch (log.eventName) {
      case "OnlineRollPublished": {
        const found = log.args.voterIdHashes.some(mine);
        if (found) entry.onOnlineRoll = { style: log.args.style };
        else if (entry.onOnlineRoll === null) entry.onOnlineRoll = false;
        break;
      }
      case "CredentialIssued":
        if (mine(log.args.voterIdHash)) entry.credential = { style: log.args.style, ...where };
        break;
      case "PaperBallotIssued":
        if (mine(log.args.voterIdHash))
          entry.paperBallot = { style: log.args.style, precinct: log.args.precinct, ...where };
        break;
      case "OnlineBallotCancelled":
        if (mine(log.args.voterIdHash))
          entry.cancellation = { nullifier: log.args.nullifier, blockNumber: where.blockNumber };
        break;
    }
  }
  return entry;
}

export function journalVerdict(entry: JournalEntry): JournalVerdict {
  if (entry.cancellation !== null) return "cancelled-then-paper";
  if (entry.paperBallot !== null) return "paper-ballot-issued";
  if (entry.credential !== null) return "credential-issued";
  if (entry.onOnlineRoll === false) return "not-on-online-roll";
  return "unused";
}

/** The cancellation the voter brings to the precinct, signed with the wallet's voting key (11.4). */
export async function cancellationFromWallet(
  wallet: VoterWallet,
  voterId: string,
  code: string,
): Promise<Cancellation> {
  if (wallet.credential === null)
    throw new Error("the wallet holds no credential: a voter without credential needs no cancellation");
  const location: ElectionLocation = { chainId: BigInt(wallet.chainId), election: wallet.election };
  return signCancellation(
    privateKeyToAccount(wallet.votingKey),
    location,
    journalKey(location, voterId, code),
    wallet.credential.styleIndex,
    {
      messagePrefix: hexToBytes(wallet.credential.messagePrefix),
      signature: hexToBytes(wallet.credential.signature),
    },
  );
}
