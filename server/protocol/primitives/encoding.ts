import { concatBytes, u32be, u64be, u8 } from "./bytes";
import { decodePoint, decodeScalar, type DecodePointOptions, type Point, type Scalar } from "./group";

/**
 * Canonical binary encodings are written with ByteWriter and read with
 * ByteReader. The reader never throws on hostile input: every read returns
 * null when the bytes are short or non-canonical, and `done()` tells whether
 * the whole input was consumed (trailing bytes make an encoding non-canonical).
 */
export class ByteWriter {
  private readonly parts: Uint8Array[] = [];

  bytes(value: Uint8Array): this {
    this.parts.push(value);
    return this;
  }
  u8(value: number): this {
    return this.bytes(u8(value));
  }
  u32(value: number): this {
    return this.bytes(u32be(value));
  }
  u64(value: bigint | number): this {
    return this.bytes(u64be(value));
  }
  /** u32 length prefix followed by the bytes. */
  varBytes(value: Uint8Array): this {
    return this.u32(value.length).bytes(value);
  }
  finish(): Uint8Array {
    return concatBytes(...this.parts);
  }
}

export class ByteReader {
  private offset = 0;
  constructor(private readonly input: Uint8Array) {}

  get remaining(): number {
    return this.input.length - this.offset;
  }
  done(): boolean {
    return this.offset === this.input.length;
  }
  bytes(length: number): Uint8Array | null {
    if (!Number.isInteger(length) || length < 0 || length > this.remaining) return null;
    const out = this.input.subarray(this.offset, this.offset + length);
    this.offset += length;
    return out;
  }
  u8(): number | null {
    const b = this.bytes(1);
    return b === null ? null : b[0];
  }
  u32(): number | null {
    const b = this.bytes(4);
    return b === null ? null : new DataView(b.buffer, b.byteOffset, 4).getUint32(0);
  }
  u64(): bigint | null {
    const b = this.bytes(8);
    return b === null ? null : new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0);
  }
  varBytes(maxLength: number): Uint8Array | null {
    const length = this.u32();
    if (length === null || length > maxLength) return null;
    return this.bytes(length);
  }
  point(options?: DecodePointOptions): Point | null {
    const b = this.bytes(32);
    return b === null ? null : decodePoint(b, options);
  }
  scalar(): Scalar | null {
    const b = this.bytes(32);
    return b === null ? null : decodeScalar(b);
  }
}
