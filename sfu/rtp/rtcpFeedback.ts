/**
 * Reads what the SFU needs from a viewer's compound RTCP packet: loss from
 * receiver reports, REMB estimates, keyframe requests (PLI, FIR), NACKs and
 * transport-wide-cc feedback.
 * A viewer sends a report or two a second; read through werift (which
 * builds an object per field, then routes each packet to senders we do not
 * use) they were a seventh of the forwarder's CPU at a hundred viewers.
 * Anything else in the compound is skipped.
 */

export interface RtcpFeedbackHandler {
  /**
   * A report block (RR, or SR's) about `ssrc`: fraction lost, 0..255, and the
   * last SR's middle NTP bits and the delay since it, 1/65536 s (RFC 3550 6.4.1).
   */
  report(ssrc: number, fractionLost: number, lastSr: number, delaySinceLastSr: number): void;
  /** REMB: the receiver's estimate, bps. */
  remb(bitrate: number): void;
  /** PLI for `mediaSsrc`, or FIR (RFC 5104) naming `mediaSsrc`. */
  keyframe(mediaSsrc: number): void;
  /** Generic NACK (RFC 4585 6.2.1): sequence numbers of `mediaSsrc` that did not arrive. */
  nack(mediaSsrc: number, seqs: number[]): void;
  /** Transport-wide-cc feedback: the whole RTCP packet is b[offset, end). */
  transportFeedback(b: Uint8Array, offset: number, end: number): void;
}

const SR = 200;
const RR = 201;
const RTPFB = 205;
const PSFB = 206;
const REMB = 0x52454d42; // 'REMB'

/**
 * Calls `h` for every report block, REMB, PLI, FIR and NACK in b[0, length).
 * Returns false (after calling `h` for what came before) at a malformed packet.
 */
export function readRtcpFeedback(b: Uint8Array, length: number, h: RtcpFeedbackHandler): boolean {
  const view = new DataView(b.buffer, b.byteOffset, length);
  let o = 0;
  while (o + 4 <= length) {
    const first = b[o]!;
    const count = first & 0x1f;
    const type = b[o + 1]!;
    const size = (view.getUint16(o + 2) + 1) * 4;
    if (first >> 6 !== 2 || o + size > length) return false;
    const end = o + size;
    if (type === SR || type === RR) {
      let block = o + (type === SR ? 28 : 8);
      for (let i = 0; i < count && block + 24 <= end; i++, block += 24) {
        h.report(view.getUint32(block), b[block + 4]!, view.getUint32(block + 16), view.getUint32(block + 20));
      }
    } else if (type === RTPFB && count === 1 && size >= 12) {
      const media = view.getUint32(o + 8);
      const seqs: number[] = [];
      for (let f = o + 12; f + 4 <= end; f += 4) {
        const pid = view.getUint16(f);
        const blp = view.getUint16(f + 2);
        seqs.push(pid);
        for (let bit = 0; bit < 16; bit++) if (blp & (1 << bit)) seqs.push((pid + bit + 1) & 0xffff);
      }
      h.nack(media, seqs);
    } else if (type === RTPFB && count === 15 && size >= 20) {
      h.transportFeedback(b, o, end);
    } else if (type === PSFB && size >= 12) {
      if (count === 1) {
        h.keyframe(view.getUint32(o + 8));
      } else if (count === 4) {
        for (let f = o + 12; f + 8 <= end; f += 8) h.keyframe(view.getUint32(f));
      } else if (count === 15 && size >= 20 && view.getUint32(o + 12) === REMB) {
        const exp = b[o + 17]! >> 2;
        const mantissa = ((b[o + 17]! & 0x03) << 16) | view.getUint16(o + 18);
        h.remb(mantissa * 2 ** exp);
      }
    }
    o = end;
  }
  return o === length;
}
