/**
 * Strict base64url (RFC 4648 §5, no padding) and UTF-8, in plain JS so it is
 * synchronous and identical in the browser and Node. Strict means: only the
 * URL-safe alphabet, no padding, no whitespace, and canonical (the unused low
 * bits of the last character are zero), so every byte string has exactly one
 * encoding and a tampered encoding can never decode to the same bytes.
 */
import { CryptoError } from './crypto-error.ts';

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const LOOKUP = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) LOOKUP[ALPHABET.charCodeAt(i)] = i;

/** Encode bytes as unpadded base64url. */
export function toBase64url(bytes: Uint8Array): string {
  let out = '';
  let i = 0;
  for (; i + 2 < bytes.length; i += 3) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8) | bytes[i + 2]!;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const n = bytes[i]! << 16;
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]!;
  } else if (rest === 2) {
    const n = (bytes[i]! << 16) | (bytes[i + 1]! << 8);
    out += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]!;
  }
  return out;
}

/**
 * Decode strict unpadded base64url. `expectedLength` (bytes) rejects anything
 * else; `what` names the field in the error. Throws CRYPTO_BAD_ENCODING.
 */
export function fromBase64url(text: unknown, expectedLength?: number, what = 'value'): Uint8Array {
  if (typeof text !== 'string') throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: expected a base64url string`);
  const len = text.length;
  if (len % 4 === 1) throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: truncated base64url`);
  const outLen = Math.floor((len * 3) / 4);
  if (expectedLength !== undefined && outLen !== expectedLength) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: expected ${expectedLength} bytes, got ${outLen}`);
  }
  const out = new Uint8Array(outLen);
  let acc = 0;
  let bits = 0;
  let o = 0;
  for (let i = 0; i < len; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? LOOKUP[c]! : -1;
    if (v < 0) throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: not base64url (character ${i})`);
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[o++] = (acc >> bits) & 0xff;
    }
  }
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: non-canonical base64url`);
  }
  return out;
}

/** True when `text` is strict base64url (of `expectedLength` bytes when given). */
export function isBase64url(text: unknown, expectedLength?: number): boolean {
  try {
    fromBase64url(text, expectedLength);
    return true;
  } catch {
    return false;
  }
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** UTF-8 bytes of a string (lone surrogates become U+FFFD, as TextEncoder does). */
export function utf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** Decode strict UTF-8; invalid sequences are CRYPTO_BAD_ENCODING. */
export function fromUtf8(bytes: Uint8Array, what = 'value'): string {
  try {
    return decoder.decode(bytes);
  } catch (err) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: not valid UTF-8`, { cause: err });
  }
}

/** Concatenate byte arrays. */
export function concatBytes(...parts: Uint8Array[]): Uint8Array {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Parse JSON text, turning syntax errors into CRYPTO_BAD_ENCODING. */
export function parseJson(text: unknown, what = 'value'): unknown {
  if (typeof text !== 'string') throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: expected JSON text`);
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    throw new CryptoError('CRYPTO_BAD_ENCODING', `${what}: not valid JSON`, { cause: err });
  }
}
