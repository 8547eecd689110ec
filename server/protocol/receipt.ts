import { hashTypedData, isAddress, keccak256, recoverAddress, type Hex, type LocalAccount } from "viem";
import type { Address, ElectionLocation } from "./context";
import { addressBytes } from "./context";
import { concatBytes, hexToBytes, u256be, utf8 } from "./primitives/bytes";

/**
 * The relay's receipt for an accepted ballot: EIP-712 typed data signed by
 * the relay's account (the one holding RELAY_ROLE), so a voter can later prove
 * that a relay accepted a ballot it failed to put on chain.
 *
 *   domain  = { name: "ballot-ledger relay", version: "1", chainId, verifyingContract: election }
 *   Receipt = (address election, string trackingCode, bytes32 ballotHash, uint64 sequence, uint64 acceptedAt)
 *
 * acceptedAt is the relay's clock in Unix seconds when the ballot was queued.
 * The digest is computed directly from its fixed layout (the relay signs one
 * per ballot; viem's generic typed-data encoder took a third of the signing
 * time); a test checks it against viem's hashTypedData.
 */
export const receiptTypes = {
  Receipt: [
    { name: "election", type: "address" },
    { name: "trackingCode", type: "string" },
    { name: "ballotHash", type: "bytes32" },
    { name: "sequence", type: "uint64" },
    { name: "acceptedAt", type: "uint64" },
  ],
} as const;

export interface BallotReceipt {
  election: Address;
  trackingCode: string;
  ballotHash: Hex;
  sequence: bigint;
  acceptedAt: bigint;
}

export function receiptDomain(location: ElectionLocation) {
  return {
    name: "ballot-ledger relay",
    version: "1",
    chainId: location.chainId,
    verifyingContract: location.election,
  } as const;
}

const RECEIPT_TYPEHASH = hexToBytes(
  keccak256(
    utf8(
      "Receipt(address election,string trackingCode,bytes32 ballotHash,uint64 sequence,uint64 acceptedAt)",
    ),
  ),
);
const DOMAIN_TYPEHASH = hexToBytes(
  keccak256(utf8("EIP712Domain(string name,string version,uint256 chainId,address verifyingContract)")),
);
const MAX_UINT64 = (1n << 64n) - 1n;
const word = (address: Address) => concatBytes(new Uint8Array(12), addressBytes(address));

const separators = new Map<string, Uint8Array>();

function domainSeparator(location: ElectionLocation): Uint8Array {
  const key = `${location.chainId}:${location.election.toLowerCase()}`;
  let separator = separators.get(key);
  if (separator === undefined) {
    separator = keccak256(
      concatBytes(
        DOMAIN_TYPEHASH,
        hexToBytes(keccak256(utf8("ballot-ledger relay"))),
        hexToBytes(keccak256(utf8("1"))),
        u256be(location.chainId),
        word(location.election),
      ),
      "bytes",
    );
    if (separators.size >= 64) separators.clear();
    separators.set(key, separator);
  }
  return separator;
}

/** The EIP-712 digest of a receipt (equal to viem's hashTypedData with receiptTypes). */
export function receiptDigest(location: ElectionLocation, receipt: BallotReceipt): Hex {
  if (
    receipt.sequence < 0n ||
    receipt.sequence > MAX_UINT64 ||
    receipt.acceptedAt < 0n ||
    receipt.acceptedAt > MAX_UINT64
  )
    throw new RangeError("sequence and acceptedAt must be uint64");
  const ballotHash = hexToBytes(receipt.ballotHash);
  if (ballotHash.length !== 32) throw new RangeError("ballotHash must be 32 bytes");
  const structHash = keccak256(
    concatBytes(
      RECEIPT_TYPEHASH,
      word(receipt.election),
      hexToBytes(keccak256(utf8(receipt.trackingCode))),
      ballotHash,
      u256be(receipt.sequence),
      u256be(receipt.acceptedAt),
    ),
    "bytes",
  );
  return keccak256(concatBytes(new Uint8Array([0x19, 0x01]), domainSeparator(location), structHash));
}

/** viem's generic EIP-712 hash of a receipt (the reference for receiptDigest). */
export const receiptTypedDataHash = (location: ElectionLocation, receipt: BallotReceipt): Hex =>
  hashTypedData({
    domain: receiptDomain(location),
    types: receiptTypes,
    primaryType: "Receipt",
    message: receipt,
  });

export async function signReceipt(
  relayKey: LocalAccount,
  location: ElectionLocation,
  receipt: BallotReceipt,
): Promise<Hex> {
  if (!relayKey.sign) throw new Error("the relay key cannot sign a digest");
  return relayKey.sign({ hash: receiptDigest(location, receipt) });
}

/** The address that signed a receipt, or null for a malformed signature or receipt. Never throws. */
export async function recoverReceiptSigner(
  location: ElectionLocation,
  receipt: BallotReceipt,
  signature: Hex,
): Promise<Address | null> {
  if (!/^0x[0-9a-fA-F]{130}$/.test(signature)) return null;
  try {
    const address = await recoverAddress({ hash: receiptDigest(location, receipt), signature });
    return isAddress(address) ? address : null;
  } catch {
    return null;
  }
}
