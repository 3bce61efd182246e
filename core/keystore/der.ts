/**
 * The few DER/BER pieces the PKCS#12 codec handles by hand, beside the @peculiar/asn1-* schemas:
 * wrapping bytes in one element, unwrapping an OCTET STRING (BER writers may construct it), and the
 * items of a SEQUENCE.
 */
import * as asn1js from 'asn1js';
import { KeystoreFormatError } from '../errors.ts';

/** One DER element with a short or long definite length. */
export function der(tag: number, content: Uint8Array): Buffer {
  const n = content.length;
  const length =
    n < 0x80 ? Buffer.from([n]) : Buffer.concat([Buffer.from([0x80 | byteLength(n)]), bigEndian(n)]);
  return Buffer.concat([Buffer.from([tag]), length, content]);
}

/** The contents of a DER OCTET STRING (possibly constructed, as some BER writers emit). */
export function octets(encoded: ArrayBuffer): Buffer {
  const node = asn1js.fromBER(encoded).result;
  if (!(node instanceof asn1js.OctetString)) throw new KeystoreFormatError('expected an OCTET STRING');
  if (node.idBlock.isConstructed) {
    return Buffer.concat(
      node.valueBlock.value.map((part) => Buffer.from((part as asn1js.OctetString).valueBlock.valueHexView)),
    );
  }
  return Buffer.from(node.valueBlock.valueHexView);
}

/** The elements of a SEQUENCE. */
export function sequenceItems(encoded: ArrayBuffer): asn1js.AsnType[] {
  const parsed = asn1js.fromBER(encoded);
  if (parsed.offset === -1 || !(parsed.result instanceof asn1js.Sequence)) {
    throw new KeystoreFormatError('malformed PKCS#12 structure');
  }
  return parsed.result.valueBlock.value;
}

/** The bytes as an ArrayBuffer of their own, as the asn1 schemas take them. */
export function toArrayBuffer(b: Uint8Array): ArrayBuffer {
  return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength) as ArrayBuffer;
}

function byteLength(n: number): number {
  return Math.max(1, Math.ceil(Math.log2(n + 1) / 8));
}

function bigEndian(n: number): Buffer {
  const out = Buffer.alloc(byteLength(n));
  out.writeUIntBE(n, 0, out.length);
  return out;
}
