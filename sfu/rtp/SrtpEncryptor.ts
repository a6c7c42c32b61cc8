/**
 * Fast SRTP protect for the forwarding path (one per viewer transport).
 *
 * werift encrypts each packet with a fresh `createCipheriv` plus a fresh
 * `createHmac` (~8-15 us). Here AES-128-CM keystream comes from one
 * long-lived AES-ECB cipher over counter blocks prepared per SSRC, the XOR
 * runs on 32-bit words, and HMAC-SHA1 is two one-shot `crypto.hash` calls
 * over precomputed ipad/opad blocks: ~4-5 us per 1200-byte packet.
 *
 * Usage: write the plain RTP packet into `buffer` at `HEADROOM`, then call
 * `protect(length, headerLength)`; it returns a new SRTP datagram. AEAD-GCM
 * sessions fall back to one `createCipheriv` per packet.
 */
import { createCipheriv, hash, type Cipher } from 'node:crypto';

export const HEADROOM = 64;
const MAX_PACKET = 1600;
const TAG_CTR = 10;
const TAG_GCM = 16;

interface SsrcState {
  ssrc: number;
  roc: number;
  lastSeq: number;
  /** Counter blocks for the current (ssrc, roc); word 3 of each block is set per packet. */
  ctr: Buffer;
  view: DataView;
  rocReady: number;
}

export type SrtpProfileKind = 'ctr' | 'gcm';

export class SrtpEncryptor {
  /** Work area: [HEADROOM bytes of HMAC ipad][RTP packet][ROC]. Write packets at HEADROOM. */
  readonly buffer: Buffer;
  readonly kind: SrtpProfileKind;
  readonly #words: Int32Array;
  readonly #ecb: Cipher | undefined;
  readonly #key: Buffer;
  readonly #salt: Buffer;
  readonly #outer: Buffer;
  readonly #states = new Map<number, SsrcState>();
  #last: SsrcState | undefined;

  /**
   * @param key SRTP session key (16 bytes).
   * @param salt SRTP session salt (14 bytes for CM, 12 for GCM).
   * @param authKey SRTP session auth key (20 bytes, CM only).
   */
  constructor(kind: SrtpProfileKind, key: Buffer, salt: Buffer, authKey?: Buffer) {
    this.kind = kind;
    const ab = new ArrayBuffer(HEADROOM + MAX_PACKET + 8);
    this.buffer = Buffer.from(ab);
    this.#words = new Int32Array(ab);
    this.#key = Buffer.from(key);
    this.#salt = Buffer.from(salt);
    this.#outer = Buffer.alloc(64 + 20);
    if (kind === 'ctr') {
      if (!authKey) throw new Error('SRTP CM needs an auth key');
      const k = Buffer.alloc(64);
      authKey.copy(k);
      for (let i = 0; i < 64; i++) {
        this.buffer[i] = k[i]! ^ 0x36;
        this.#outer[i] = k[i]! ^ 0x5c;
      }
      this.#ecb = createCipheriv('aes-128-ecb', this.#key, null);
      this.#ecb.setAutoPadding(false);
    }
  }

  #state(ssrc: number): SsrcState {
    const last = this.#last;
    if (last !== undefined && last.ssrc === ssrc) return last;
    let s = this.#states.get(ssrc);
    if (!s) {
      const ctr = Buffer.alloc(MAX_PACKET + 16);
      s = { ssrc, roc: 0, lastSeq: -1, ctr, view: new DataView(ctr.buffer, ctr.byteOffset, ctr.length), rocReady: -1 };
      this.#states.set(ssrc, s);
    }
    this.#last = s;
    return s;
  }

  /** The rollover counter for `seq`, tracking wraps (RFC 3711 3.3.1, sender side). */
  #roc(s: SsrcState, seq: number): number {
    if (s.lastSeq < 0) { s.lastSeq = seq; return s.roc; }
    const diff = seq - s.lastSeq;
    if (diff > 0 && diff < 0x8000) { s.lastSeq = seq; return s.roc; }
    if (diff < -0x8000) { s.roc = (s.roc + 1) >>> 0; s.lastSeq = seq; return s.roc; }
    if (diff > 0x8000) return (s.roc - 1) >>> 0; // a late packet from before the wrap
    return s.roc;
  }

  /** Encrypts the RTP packet at `buffer[HEADROOM..HEADROOM+length]`; returns the SRTP datagram. */
  protect(length: number, headerLength: number): Buffer {
    const buf = this.buffer;
    const seq = (buf[HEADROOM + 2]! << 8) | buf[HEADROOM + 3]!;
    const ssrc = buf.readUInt32BE(HEADROOM + 8);
    const s = this.#state(ssrc);
    const roc = this.#roc(s, seq);
    if (this.kind === 'gcm') return this.#protectGcm(length, headerLength, ssrc, roc, seq);

    const payloadLength = length - headerLength;
    const blocks = (payloadLength + 15) >>> 4;
    const view = s.view;
    const salt = this.#salt;
    if (s.rocReady !== roc) {
      // Words 0-2 of every block depend only on (salt, ssrc, roc).
      const w0 = salt.readUInt32BE(0);
      const w1 = (salt.readUInt32BE(4) ^ ssrc) >>> 0;
      const w2 = (salt.readUInt32BE(8) ^ roc) >>> 0;
      for (let b = 0; b < (MAX_PACKET >>> 4) + 1; b++) {
        view.setUint32(b * 16, w0);
        view.setUint32(b * 16 + 4, w1);
        view.setUint32(b * 16 + 8, w2);
      }
      s.rocReady = roc;
    }
    const w3 = (((salt[12]! << 24) | (salt[13]! << 16)) ^ (seq << 16)) >>> 0;
    for (let b = 0; b < blocks; b++) view.setUint32(b * 16 + 12, (w3 + b) >>> 0);
    const ks = this.#ecb!.update(s.ctr.subarray(0, blocks * 16));

    const start = HEADROOM + headerLength;
    const end = start + payloadLength;
    let i = start;
    if ((start & 3) === 0 && (ks.byteOffset & 3) === 0) {
      const kw = new Int32Array(ks.buffer, ks.byteOffset, blocks * 4);
      const words = this.#words;
      const wEnd = end >>> 2;
      let k = 0;
      for (let w = start >>> 2; w < wEnd; w++) words[w] = words[w]! ^ kw[k++]!;
      i = wEnd << 2;
    }
    for (; i < end; i++) buf[i] = buf[i]! ^ ks[i - start]!;

    buf.writeUInt32BE(roc, end);
    const inner = hash('sha1', buf.subarray(0, end + 4), 'buffer');
    inner.copy(this.#outer, 64);
    const tag = hash('sha1', this.#outer, 'buffer');
    const out = Buffer.allocUnsafe(length + TAG_CTR);
    buf.copy(out, 0, HEADROOM, end);
    tag.copy(out, length, 0, TAG_CTR);
    return out;
  }

  #protectGcm(length: number, headerLength: number, ssrc: number, roc: number, seq: number): Buffer {
    const buf = this.buffer;
    const iv = Buffer.alloc(12);
    iv.writeUInt32BE(ssrc, 2);
    iv.writeUInt32BE(roc, 6);
    iv.writeUInt16BE(seq, 10);
    for (let i = 0; i < 12; i++) iv[i] = iv[i]! ^ this.#salt[i]!;
    const cipher = createCipheriv('aes-128-gcm', this.#key, iv);
    cipher.setAAD(buf.subarray(HEADROOM, HEADROOM + headerLength));
    const enc = cipher.update(buf.subarray(HEADROOM + headerLength, HEADROOM + length));
    cipher.final();
    const out = Buffer.allocUnsafe(length + TAG_GCM);
    buf.copy(out, 0, HEADROOM, HEADROOM + headerLength);
    enc.copy(out, headerLength);
    cipher.getAuthTag().copy(out, length);
    return out;
  }
}
