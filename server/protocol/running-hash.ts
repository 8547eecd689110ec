import type { Hex } from "viem";
import { hexToBytes, toHex, u64be } from "./primitives/bytes";
import { keccak256Bytes } from "./primitives/hash";

/**
 * The contract's running hash over accepted ballots (architecture.md):
 *
 *   r_0 = 0x00..00
 *   r_k = keccak256(abi.encode(bytes32 r_{k-1}, bytes32 nullifier, uint64 sequence, bytes32 ballotHash))
 *
 * abi.encode pads every field to a 32-byte word, so the input is 128 bytes.
 * Observers and auditors recompute it from the ballots' calldata to check that
 * the ballot bytes they hold are the ones the contract hashed.
 */
export const ZERO_RUNNING_HASH: Hex = `0x${"00".repeat(32)}`;

export function nextRunningHash(previous: Hex, nullifier: Hex, sequence: bigint, ballotHash: Hex): Hex {
  const input = new Uint8Array(128);
  input.set(word(previous, "running hash"), 0);
  input.set(word(nullifier, "nullifier"), 32);
  if (sequence < 0n || sequence >= 1n << 64n) throw new RangeError("sequence is not a uint64");
  input.set(u64be(sequence), 88);
  input.set(word(ballotHash, "ballot hash"), 96);
  return toHex(keccak256Bytes(input));
}

function word(hex: Hex, what: string): Uint8Array {
  const bytes = hexToBytes(hex);
  if (bytes.length !== 32) throw new RangeError(`${what} is not 32 bytes`);
  return bytes;
}
