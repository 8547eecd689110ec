import type { Hex } from "viem";
import type { Address } from "./context";

/**
 * The election record: everything the chain holds about one election, as
 * plain JSON (hex strings for bytes, decimal strings for 64-bit and larger
 * integers). The chain reader builds it from logs and calldata; the observer
 * keeps it up to date; `audit export` writes it to a folder and `audit
 * verify` checks it with no chain access (docs/record.md).
 */
export const RECORD_VERSION = 1;

export interface RecordTrusteeKeys {
  trusteeIndex: number;
  commitments: Hex;
  proofs: Hex;
  boxKey: Hex;
}

export interface RecordCeremonyRound {
  round: number;
  /** The round's trustees in index order, when known (CeremonyRestarted, or the creation call for round 0). */
  trustees: Address[];
  keys: RecordTrusteeKeys[];
  shares: { trusteeIndex: number; encryptedShares: Hex }[];
  complaints: { complainer: number; accused: number; evidence: Hex }[];
  confirmations: { trusteeIndex: number; jointKey: Hex }[];
  /** Set when all trustees confirmed the same key in this round. */
  jointKey: Hex | null;
}

export interface RecordBallot {
  /** Position among all BallotCast events of the election (0-based). */
  index: number;
  nullifier: Hex;
  sequence: string;
  ballotHash: Hex;
  runningHash: Hex;
  /** The ballot bytes and signature, from the castBallots calldata. */
  ballot: Hex;
  signature: Hex;
  blockNumber: string;
  transactionHash: Hex;
  /** Block time (seconds). */
  timestamp: number;
}

export interface RecordRejection {
  position: number;
  nullifier: Hex;
  ballotHash: Hex;
  reason: string;
  transactionHash: Hex;
  blockNumber: string;
}

export interface RecordIssuance {
  voterIdHash: Hex;
  style: number;
  requestHash: Hex;
  blockNumber: string;
  timestamp: number;
}

/**
 * One person, one channel (docs/protocol.md section 11): the online roll as
 * published (one entry per OnlineRollPublished event), the paper ballots
 * recorded for online-roll voters, and the cancellations of the online channel.
 */
export interface RecordChannels {
  onlineRoll: { style: number; voterIdHashes: Hex[] }[];
  paperBallots: { voterIdHash: Hex; style: number; precinct: Address; blockNumber: string }[];
  cancellations: {
    voterIdHash: Hex;
    nullifier: Hex;
    style: number;
    /** LP(prefix) || LP(signature), as signed (docs/protocol.md 11.4). */
    credential: Hex;
    signature: Hex;
    blockNumber: string;
  }[];
}

export interface RecordDecryptionShare {
  trusteeIndex: number;
  aggregateHash: Hex;
  share: Hex;
}

export interface RecordAttestation {
  observer: Address;
  resultHash: Hex;
  tallyHash: Hex;
  resultMatches: boolean;
  /** The observer's EIP-712 signature of the four values (protocol.md section 9), checked by attest(). */
  signature: Hex;
}

export interface ElectionRecord {
  version: typeof RECORD_VERSION;
  chainId: string;
  election: Address;
  factory: Address;
  creationBlock: string;
  /** The canonical manifest bytes as posted with ElectionCreated, and the hash the contract holds. */
  manifest: Hex;
  manifestHash: Hex;
  opensAt: number;
  closesAt: number;
  revotePolicy: "none" | "last-ballot-counts";
  threshold: number;
  trusteeCount: number;
  ballotStyleCount: number;
  ceremonyRounds: RecordCeremonyRound[];
  registrarKeys: { style: number; modulus: Hex }[];
  issuances: RecordIssuance[];
  channels: RecordChannels;
  ballots: RecordBallot[];
  rejections: RecordRejection[];
  /** The contract's running hash and ballot count at the record's last block. */
  runningHash: Hex;
  ballotCount: number;
  decryptionShares: RecordDecryptionShare[];
  result: { resultHash: Hex; result: string } | null;
  attestations: RecordAttestation[];
  /** The accounts holding OBSERVER_ROLE at the record's last block (RoleGranted minus RoleRevoked), sorted. */
  observers: Address[];
  /** The last block this record covers. */
  throughBlock: string;
}
