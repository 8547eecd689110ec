/** Byte-string helpers shared by every canonical encoding in the protocol. */

export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let length = 0;
  for (const part of parts) length += part.length;
  const out = new Uint8Array(length);
  let offset = 0;
  for (const part of parts) {
    out.set(part, offset);
    offset += part.length;
  }
  return out;
}

export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

const HEX_DIGITS = "0123456789abcdef";
const BYTE_HEX = Array.from({ length: 256 }, (_, byte) => HEX_DIGITS[byte >> 4] + HEX_DIGITS[byte & 15]);
/** The value of each ASCII hex digit (either case), -1 for every other character code below 128. */
const DIGIT_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < 16; i++) {
  DIGIT_VALUE[HEX_DIGITS.charCodeAt(i)] = i;
  DIGIT_VALUE[HEX_DIGITS.toUpperCase().charCodeAt(i)] = i;
}
const digitValue = (code: number) => (code < 128 ? DIGIT_VALUE[code] : -1);

export function toHex(bytes: Uint8Array): `0x${string}` {
  let hex = "0x";
  for (const byte of bytes) hex += BYTE_HEX[byte];
  return hex as `0x${string}`;
}

/** Parses `0x`-prefixed (or bare) lower/upper-case hex; returns null on anything else. */
export function fromHex(hex: string): Uint8Array | null {
  const start = hex.startsWith("0x") || hex.startsWith("0X") ? 2 : 0;
  if ((hex.length - start) % 2 !== 0) return null;
  const out = new Uint8Array((hex.length - start) / 2);
  for (let i = 0, at = start; i < out.length; i++, at += 2) {
    const high = digitValue(hex.charCodeAt(at));
    const low = digitValue(hex.charCodeAt(at + 1));
    if (high < 0 || low < 0) return null;
    out[i] = (high << 4) | low;
  }
  return out;
}

/** Like fromHex but throws: for values the program itself produced. */
export function hexToBytes(hex: string): Uint8Array {
  const bytes = fromHex(hex);
  if (bytes === null) throw new Error(`not a hex string: ${hex.slice(0, 20)}`);
  return bytes;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);

export function u8(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xff)
    throw new RangeError(`u8 out of range: ${value}`);
  return Uint8Array.of(value);
}

export function u32be(value: number): Uint8Array {
  if (!Number.isInteger(value) || value < 0 || value > 0xffffffff)
    throw new RangeError(`u32 out of range: ${value}`);
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, value);
  return out;
}

export function u64be(value: bigint | number): Uint8Array {
  const big = BigInt(value);
  if (big < 0n || big > 0xffffffffffffffffn) throw new RangeError(`u64 out of range: ${value}`);
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, big);
  return out;
}

/** Unsigned big-endian 32-byte encoding, as Solidity's uint256/bytes32 words. */
export function u256be(value: bigint): Uint8Array {
  if (value < 0n || value >= 1n << 256n) throw new RangeError("u256 out of range");
  const out = new Uint8Array(32);
  let rest = value;
  for (let i = 31; i >= 0; i--) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  return out;
}
