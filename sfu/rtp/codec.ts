/**
 * Codec-level parsing the forwarder needs: is this packet the start of a
 * keyframe (layer switches wait for one), and VP8 picture-id rewriting so a
 * viewer switching layers sees one continuous picture-id sequence.
 */

export type VideoCodec = 'vp8' | 'h264' | 'other';

export function codecOf(mimeType: string | undefined): VideoCodec {
  const m = (mimeType ?? '').toLowerCase();
  if (m.endsWith('/vp8')) return 'vp8';
  if (m.endsWith('/h264')) return 'h264';
  return 'other';
}

/** Offset of the VP8 payload after the payload descriptor, or -1 if malformed. */
function vp8HeaderSize(p: Buffer): number {
  if (p.length < 1) return -1;
  let i = 1;
  const b0 = p[0]!;
  if (b0 & 0x80) {
    if (p.length < 2) return -1;
    const x = p[1]!;
    i = 2;
    if (x & 0x80) { // I: picture id
      if (p.length <= i) return -1;
      i += p[i]! & 0x80 ? 2 : 1;
    }
    if (x & 0x40) i += 1; // L: TL0PICIDX
    if (x & 0x30) i += 1; // T or K: TID/KEYIDX
  }
  return i <= p.length ? i : -1;
}

/** True when the packet starts a VP8 keyframe (S=1, partition 0, P bit clear). */
export function isVp8Keyframe(p: Buffer): boolean {
  const b0 = p[0];
  if (b0 === undefined || !(b0 & 0x10) || (b0 & 0x07) !== 0) return false;
  const off = vp8HeaderSize(p);
  if (off < 0 || off >= p.length) return false;
  return (p[off]! & 0x01) === 0;
}

/** Width and height from a VP8 keyframe's first packet, if present. */
export function vp8KeyframeSize(p: Buffer): { width: number; height: number } | undefined {
  const off = vp8HeaderSize(p);
  if (off < 0 || p.length < off + 10) return undefined;
  if (p[off + 3] !== 0x9d || p[off + 4] !== 0x01 || p[off + 5] !== 0x2a) return undefined;
  return { width: p.readUInt16LE(off + 6) & 0x3fff, height: p.readUInt16LE(off + 8) & 0x3fff };
}

/** True when an H.264 RTP payload carries an IDR slice or SPS (RFC 6184). */
export function isH264Keyframe(p: Buffer): boolean {
  if (p.length < 2) return false;
  const type = p[0]! & 0x1f;
  if (type === 5 || type === 7) return true;
  if (type === 28 || type === 29) { // FU-A/B: start bit and inner type
    return (p[1]! & 0x80) !== 0 && ((p[1]! & 0x1f) === 5 || (p[1]! & 0x1f) === 7);
  }
  if (type === 24) { // STAP-A: walk aggregated NAL units
    let i = 1;
    while (i + 2 < p.length) {
      const size = p.readUInt16BE(i);
      const t = p[i + 2]! & 0x1f;
      if (t === 5 || t === 7) return true;
      i += 2 + size;
    }
  }
  return false;
}

export function isKeyframe(codec: VideoCodec, payload: Buffer): boolean {
  if (codec === 'vp8') return isVp8Keyframe(payload);
  if (codec === 'h264') return isH264Keyframe(payload);
  return false;
}

/**
 * Where the VP8 picture id sits in a payload: offset, and 15 or 7 bits;
 * `offset` is -1 when the packet has none. Also the TL0PICIDX offset.
 */
export function vp8PictureIdOffsets(p: Buffer): { pid: number; long: boolean; tl0: number } {
  const b0 = p[0];
  if (b0 === undefined || !(b0 & 0x80) || p.length < 3) return { pid: -1, long: false, tl0: -1 };
  const x = p[1]!;
  let i = 2;
  let pid = -1;
  let long = false;
  if (x & 0x80) {
    pid = i;
    long = (p[i]! & 0x80) !== 0;
    i += long ? 2 : 1;
  }
  const tl0 = x & 0x40 && i < p.length ? i : -1;
  if (long && pid + 1 >= p.length) return { pid: -1, long: false, tl0: -1 };
  return { pid, long, tl0 };
}

export function readVp8PictureId(p: Buffer, off: number, long: boolean): number {
  return long ? ((p[off]! & 0x7f) << 8) | p[off + 1]! : p[off]! & 0x7f;
}

export function writeVp8PictureId(p: Buffer, off: number, long: boolean, value: number): void {
  if (long) {
    p[off] = 0x80 | ((value >> 8) & 0x7f);
    p[off + 1] = value & 0xff;
  } else {
    p[off] = value & 0x7f;
  }
}
