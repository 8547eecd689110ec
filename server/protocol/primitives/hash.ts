import { keccak256 } from "viem";
import { nativeSecp256k1 } from "./backend";
import { lib } from "./sodium";
import { concatBytes, u32be, utf8 } from "./bytes";
import { GROUP_ID, reduceWide, type Scalar } from "./group";

/**
 * Every protocol hash is SHA-512 over length-prefixed fields:
 *
 *   H(tag; x_1, ..., x_k) = SHA-512( LP("ballot-ledger/v1/" || tag) || LP("ristretto255") || LP(x_1) || ... || LP(x_k) )
 *
 * where LP(x) = u32be(len(x)) || x. The length prefixes make the encoding
 * injective, the tag separates domains, and the group identifier is always
 * mixed in. Election-scoped hashes pass the election's base hash Q as x_1.
 */
export const PROTOCOL_PREFIX = "ballot-ledger/v1/";

/** LP(prefix || tag) || LP(group id), encoded once per tag. */
const headers = new Map<string, Uint8Array>();
function header(tag: string): Uint8Array {
  let cached = headers.get(tag);
  if (cached === undefined) {
    const tagBytes = utf8(PROTOCOL_PREFIX + tag);
    const group = utf8(GROUP_ID);
    cached = concatBytes(u32be(tagBytes.length), tagBytes, u32be(group.length), group);
    if (headers.size < 1024) headers.set(tag, cached);
  }
  return cached;
}

export function taggedHash(tag: string, parts: readonly Uint8Array[]): Uint8Array {
  const head = header(tag);
  let length = head.length;
  for (const part of parts) length += 4 + part.length;
  const input = new Uint8Array(length);
  const view = new DataView(input.buffer);
  input.set(head, 0);
  let offset = head.length;
  for (const part of parts) {
    view.setUint32(offset, part.length);
    input.set(part, offset + 4);
    offset += 4 + part.length;
  }
  return lib().crypto_hash_sha512(input);
}

/** A 32-byte digest (the first half of taggedHash), for identifiers stored as bytes32. */
export const taggedDigest32 = (tag: string, parts: readonly Uint8Array[]): Uint8Array =>
  taggedHash(tag, parts).slice(0, 32);

/** Fiat-Shamir challenges and derived scalars: the 64-byte digest reduced modulo q (no bias). */
export const hashToScalar = (tag: string, parts: readonly Uint8Array[]): Scalar =>
  reduceWide(taggedHash(tag, parts));

/** Ethereum's keccak256 (ballot hashes, EIP-712 digests): on the native core when it is active, else viem's. */
export function keccak256Bytes(data: Uint8Array): Uint8Array {
  const native = nativeSecp256k1();
  return native !== null ? native.keccak256(data) : keccak256(data, "bytes");
}
