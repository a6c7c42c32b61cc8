/**
 * Fast SRTP protect for the forwarding path (one per viewer transport).
 *
 * werift encrypts each packet with a fresh `createCipheriv` plus a fresh
 * `createHmac` (~8-15 us). Here AES-128-CM keystream comes from one
 * long-lived AES-ECB cipher over counter blocks prepared per SSRC, for the
 * next BATCH sequence numbers at once (the forwarder numbers packets
 * itself, so they are known in advance): one native call and one buffer
 * per BATCH packets. The XOR runs on 32-bit words, and HMAC-SHA1 is two
 * one-shot `crypto.hash` calls over precomputed ipad/opad blocks, returning
 * latin1 strings (V8 heap) rather than Buffers (off-heap backing stores the
 * GC must free).
 *
 * Usage: write the plain RTP packet into `buffer` at `HEADROOM`, then call
 * `protect(length, headerLength)`; it returns a new SRTP datagram. AEAD-GCM
 * sessions fall back to one `createCipheriv` per packet.
 *
 * When the native addon is built (`sfu/native/`), `protectAndSend` does the
 * CM protect and the send(2) in one call with no allocation; `protect` stays
 * the portable path and the reference the addon is tested against.
 */
import { createCipheriv, hash, type Cipher } from 'node:crypto';
import { SfuError } from '../errors.ts';
import { srtpSend } from '../native/srtpSend.ts';

export const HEADROOM = 64;
const MAX_PACKET = 1600;
const TAG_CTR = 10;
const TAG_GCM = 16;

const BATCH = 8;
const MAX_STRIDE = MAX_PACKET + 16;

interface SsrcState {
  ssrc: number;
  roc: number;
  lastSeq: number;
  /** Counter blocks for BATCH packets of `stride` bytes each; words 0-2 depend on (ssrc, roc) only. */
  ctr: Buffer;
  view: DataView;
  rocReady: number;
  /** Keystream for sequence numbers [ksSeq, ksSeq + ksCount) under ksRoc, `stride` bytes each. */
  ks: Int32Array | undefined;
  ksBytes: Buffer | undefined;
  ksSeq: number;
  ksCount: number;
  ksRoc: number;
  stride: number;
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
  #previous: SsrcState | undefined;
  readonly #native: object | undefined;
  readonly #sessionId: number = -1;

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
      if (!authKey) throw new SfuError('SFU_INTERNAL', 'SRTP CM needs an auth key');
      const k = Buffer.alloc(64);
      authKey.copy(k);
      for (let i = 0; i < 64; i++) {
        this.buffer[i] = k[i]! ^ 0x36;
        this.#outer[i] = k[i]! ^ 0x5c;
      }
      this.#ecb = createCipheriv('aes-128-ecb', this.#key, null);
      this.#ecb.setAutoPadding(false);
      this.#native = srtpSend?.createSession(this.#key, this.#salt, authKey);
      if (this.#native) this.#sessionId = srtpSend!.sessionId(this.#native);
    }
  }

  /** True when `protectAndSend` can be used (AES-CM session, native addon built). */
  get native(): boolean { return this.#native !== undefined; }

  /** The native session's number for `FanoutBatch` jobs (-1 without the addon). */
  get sessionId(): number { return this.#sessionId; }

  /** The rollover counter for the next packet (ssrc, seq), advancing it as `protect` would. */
  rocFor(ssrc: number, seq: number): number {
    return this.#roc(this.#state(ssrc), seq);
  }

  /**
   * Protects the RTP packet at `buffer[HEADROOM..HEADROOM+length]` in place
   * and sends it on the connected UDP socket `fd`: bytes sent, or a negative
   * errno (`-srtpSend.EAGAIN` when the socket buffer is full: the packet is
   * dropped, as a congested link would). Only when `native` is true.
   */
  protectAndSend(length: number, headerLength: number, fd: number): number {
    const buf = this.buffer;
    const seq = (buf[HEADROOM + 2]! << 8) | buf[HEADROOM + 3]!;
    const roc = this.#roc(this.#state(buf.readUInt32BE(HEADROOM + 8)), seq);
    return srtpSend!.protectAndSend(this.#native!, buf, HEADROOM, length, headerLength, roc, fd);
  }

  #state(ssrc: number): SsrcState {
    const last = this.#last;
    if (last !== undefined && last.ssrc === ssrc) return last;
    // A viewer's packets alternate between its audio and video SSRCs: keep both at hand.
    const previous = this.#previous;
    if (previous !== undefined && previous.ssrc === ssrc) {
      this.#previous = last;
      this.#last = previous;
      return previous;
    }
    let s = this.#states.get(ssrc);
    if (!s) {
      const ctr = Buffer.alloc(BATCH * MAX_STRIDE);
      s = {
        ssrc, roc: 0, lastSeq: -1, ctr, view: new DataView(ctr.buffer, ctr.byteOffset, ctr.length), rocReady: -1,
        ks: undefined, ksBytes: undefined, ksSeq: 0, ksCount: 0, ksRoc: -1, stride: 0,
      };
      this.#states.set(ssrc, s);
    }
    this.#previous = this.#last;
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
    const start = HEADROOM + headerLength;
    const end = start + payloadLength;
    const ahead = (seq - s.ksSeq) & 0xffff;
    let kw: Int32Array;
    let kb: Buffer;
    let ko: number;
    if (s.ks !== undefined && s.ksRoc === roc && ahead < s.ksCount && payloadLength <= s.stride) {
      kw = s.ks; kb = s.ksBytes!; ko = ahead * s.stride;
    } else {
      // Packets keep the same size class: size the stride on the biggest seen, in 16-byte blocks.
      const need = Math.min(MAX_STRIDE, Math.max(256, (payloadLength + 15) & ~15));
      if (need > s.stride) s.stride = need;
      // A batch never crosses a rollover (the ROC is part of the counter).
      const count = Math.min(BATCH, 0x10000 - seq);
      this.#fillKeystream(s, seq, roc, count);
      kw = s.ks!; kb = s.ksBytes!; ko = 0;
    }

    let i = start;
    if ((start & 3) === 0 && (ko & 3) === 0) {
      const words = this.#words;
      const wEnd = end >>> 2;
      let k = ko >>> 2;
      for (let w = start >>> 2; w < wEnd; w++) words[w] = words[w]! ^ kw[k++]!;
      i = wEnd << 2;
    }
    for (; i < end; i++) buf[i] = buf[i]! ^ kb[ko + i - start]!;

    buf.writeUInt32BE(roc, end);
    const outer = this.#outer;
    outer.write(hash('sha1', buf.subarray(0, end + 4), 'binary'), 64, 20, 'latin1');
    const tag = hash('sha1', outer, 'binary');
    const out = Buffer.allocUnsafe(length + TAG_CTR);
    buf.copy(out, 0, HEADROOM, end);
    out.write(tag, length, TAG_CTR, 'latin1');
    return out;
  }

  /** Computes the keystream of `count` packets from `seq` in one AES call. */
  #fillKeystream(s: SsrcState, seq: number, roc: number, count: number): void {
    const view = s.view;
    const salt = this.#salt;
    const stride = s.stride;
    const blocksPer = stride >>> 4;
    if (s.rocReady !== roc) {
      // Words 0-2 of every block depend only on (salt, ssrc, roc).
      const w0 = salt.readUInt32BE(0);
      const w1 = (salt.readUInt32BE(4) ^ s.ssrc) >>> 0;
      const w2 = (salt.readUInt32BE(8) ^ roc) >>> 0;
      for (let o = 0; o < s.ctr.length; o += 16) {
        view.setUint32(o, w0);
        view.setUint32(o + 4, w1);
        view.setUint32(o + 8, w2);
      }
      s.rocReady = roc;
    }
    const saltHi = ((salt[12]! << 24) | (salt[13]! << 16)) >>> 0;
    let o = 12;
    for (let p = 0; p < count; p++) {
      const w3 = (saltHi ^ (((seq + p) & 0xffff) << 16)) >>> 0;
      for (let b = 0; b < blocksPer; b++, o += 16) view.setUint32(o, (w3 + b) >>> 0);
    }
    let ks = this.#ecb!.update(s.ctr.subarray(0, count * stride));
    if ((ks.byteOffset & 3) !== 0) ks = Buffer.from(Uint8Array.from(ks).buffer); // word-aligned for the XOR
    s.ksBytes = ks;
    s.ks = new Int32Array(ks.buffer, ks.byteOffset, ks.length >>> 2);
    s.ksSeq = seq;
    s.ksCount = count;
    s.ksRoc = roc;
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
