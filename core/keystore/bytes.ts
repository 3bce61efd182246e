import { KeystoreFormatError } from '../errors.ts';

/** Big-endian writer for the binary keystore formats (Java's DataOutputStream conventions). */
export class ByteWriter {
  private readonly parts: Buffer[] = [];

  u16(value: number): this {
    const b = Buffer.alloc(2);
    b.writeUInt16BE(value);
    return this.bytes(b);
  }

  u32(value: number): this {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(value);
    return this.bytes(b);
  }

  u64(value: number): this {
    const b = Buffer.alloc(8);
    b.writeBigUInt64BE(BigInt(value));
    return this.bytes(b);
  }

  bytes(value: Uint8Array): this {
    this.parts.push(Buffer.from(value));
    return this;
  }

  /** A u32 length followed by the bytes. */
  block(value: Uint8Array): this {
    return this.u32(value.length).bytes(value);
  }

  /** Java's `DataOutput.writeUTF`: a u16 length and modified UTF-8. */
  javaUtf(value: string): this {
    const encoded = encodeModifiedUtf8(value);
    if (encoded.length > 0xffff) throw new KeystoreFormatError('string too long for a Java keystore');
    return this.u16(encoded.length).bytes(encoded);
  }

  toBuffer(): Buffer {
    return Buffer.concat(this.parts);
  }
}

/** Big-endian reader that fails with a {@link KeystoreFormatError} instead of reading past the end. */
export class ByteReader {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  get position(): number {
    return this.offset;
  }

  u16(): number {
    return this.take(2).readUInt16BE();
  }

  u32(): number {
    return this.take(4).readUInt32BE();
  }

  u64(): number {
    return Number(this.take(8).readBigUInt64BE());
  }

  block(): Buffer {
    return this.take(this.u32());
  }

  javaUtf(): string {
    return decodeModifiedUtf8(this.take(this.u16()));
  }

  take(length: number): Buffer {
    if (this.offset + length > this.data.length) throw new KeystoreFormatError('keystore is truncated');
    const slice = this.data.subarray(this.offset, this.offset + length);
    this.offset += length;
    return slice;
  }
}

/**
 * Java's modified UTF-8: U+0000 takes two bytes and characters beyond the BMP are written as their
 * two UTF-16 surrogates, three bytes each. No npm library writes it; it is ten lines.
 */
function encodeModifiedUtf8(value: string): Buffer {
  const out: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x01 && c <= 0x7f) out.push(c);
    else if (c <= 0x7ff) out.push(0xc0 | (c >> 6), 0x80 | (c & 0x3f));
    else out.push(0xe0 | (c >> 12), 0x80 | ((c >> 6) & 0x3f), 0x80 | (c & 0x3f));
  }
  return Buffer.from(out);
}

function decodeModifiedUtf8(bytes: Buffer): string {
  const units: number[] = [];
  for (let i = 0; i < bytes.length; ) {
    const a = bytes[i] ?? 0;
    if (a < 0x80) {
      units.push(a);
      i += 1;
    } else if ((a & 0xe0) === 0xc0) {
      units.push(((a & 0x1f) << 6) | ((bytes[i + 1] ?? 0) & 0x3f));
      i += 2;
    } else {
      units.push(((a & 0x0f) << 12) | (((bytes[i + 1] ?? 0) & 0x3f) << 6) | ((bytes[i + 2] ?? 0) & 0x3f));
      i += 3;
    }
  }
  return String.fromCharCode(...units);
}

/** Java's char[] password as bytes: UTF-16BE, the form JKS hashes. */
export function utf16be(value: string): Buffer {
  const b = Buffer.from(value, 'utf16le');
  b.swap16();
  return b;
}
