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

const lengthPrefixed = (bytes: Uint8Array): Uint8Array => concatBytes(u32be(bytes.length), bytes);

export function taggedHash(tag: string, parts: readonly Uint8Array[]): Uint8Array {
  const fields = [utf8(PROTOCOL_PREFIX + tag), utf8(GROUP_ID), ...parts].map(lengthPrefixed);
  return lib().crypto_hash_sha512(concatBytes(...fields));
}

/** A 32-byte digest (the first half of taggedHash), for identifiers stored as bytes32. */
export const taggedDigest32 = (tag: string, parts: readonly Uint8Array[]): Uint8Array =>
  taggedHash(tag, parts).slice(0, 32);

/** Fiat-Shamir challenges and derived scalars: the 64-byte digest reduced modulo q (no bias). */
export const hashToScalar = (tag: string, parts: readonly Uint8Array[]): Scalar =>
  reduceWide(taggedHash(tag, parts));
