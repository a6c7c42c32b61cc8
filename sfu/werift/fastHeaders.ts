/**
 * werift parses every RTP and RTCP header bit by bit through strings
 * (`bits.toString(2).split("")`, then `parseInt`), twice per incoming RTP
 * packet (once to decrypt it, once to hand it on). These replacements read
 * the same fields with shifts and masks and return the same objects; the
 * publisher's packets and every viewer's reports pass through them. One
 * deliberate difference: a one-byte extension with the reserved id 15 ends
 * the parse at the end of the extension block (RFC 8285 4.2), where werift
 * would start the payload inside it.
 *
 * `installFastHeaders()` is idempotent; `werift*` keep the originals for tests.
 */
import { RtcpHeader, RtpHeader } from 'werift';

const ONE_BYTE = 0xbede;
const TWO_BYTE = 0x1000;

type Parse<T> = (buf: Buffer) => T;
const statics = RtpHeader as unknown as { deSerialize: Parse<RtpHeader> };
const rtcpStatics = RtcpHeader as unknown as { deSerialize: Parse<RtcpHeader> };

/** werift's own parsers, as shipped. */
export const weriftRtpHeader: Parse<RtpHeader> = statics.deSerialize;
export const weriftRtcpHeader: Parse<RtcpHeader> = rtcpStatics.deSerialize;

export function parseRtpHeader(raw: Buffer): RtpHeader {
  const h = new RtpHeader();
  const b0 = raw[0]!;
  const b1 = raw[1]!;
  h.version = b0 >> 6;
  h.padding = (b0 & 0x20) !== 0;
  h.extension = (b0 & 0x10) !== 0;
  h.csrcLength = b0 & 0x0f;
  h.marker = (b1 & 0x80) !== 0;
  h.payloadType = b1 & 0x7f;
  h.sequenceNumber = raw.readUInt16BE(2);
  h.timestamp = raw.readUInt32BE(4);
  h.ssrc = raw.readUInt32BE(8);
  const csrc: number[] = [];
  let o = 12;
  for (let i = 0; i < h.csrcLength; i++, o += 4) csrc.push(raw.readUInt32BE(o));
  h.csrc = csrc;
  if (h.extension) {
    h.extensionProfile = raw.readUInt16BE(o) as RtpHeader['extensionProfile'];
    const length = raw.readUInt16BE(o + 2) * 4;
    h.extensionLength = length;
    o += 4;
    const end = o + length;
    const extensions: { id: number; payload: Buffer }[] = [];
    if (h.extensionProfile === ONE_BYTE) {
      while (o < end) {
        const b = raw[o]!;
        if (b === 0) { o++; continue; }
        const id = b >> 4;
        if (id === 15) break;
        const len = (b & 0x0f) + 1;
        extensions.push({ id, payload: raw.subarray(o + 1, o + 1 + len) });
        o += 1 + len;
      }
      o = Math.max(o, end);
    } else if (h.extensionProfile === TWO_BYTE) {
      while (o < end) {
        if (raw[o] === 0) { o++; continue; }
        const id = raw[o]!;
        const len = raw[o + 1]!;
        extensions.push({ id, payload: raw.subarray(o + 2, o + 2 + len) });
        o += 2 + len;
      }
    } else {
      const payload = raw.subarray(o, end);
      extensions.push({ id: 0, payload });
      o += payload.length;
    }
    h.extensions = extensions;
  }
  h.payloadOffset = o;
  if (h.padding) h.paddingSize = raw[raw.length - 1]!;
  return h;
}

export function parseRtcpHeader(buf: Buffer): RtcpHeader {
  const b0 = buf[0]!;
  return new RtcpHeader({ version: b0 >> 6, padding: (b0 & 0x20) !== 0, count: b0 & 0x1f, type: buf[1]!, length: buf.readUInt16BE(2) });
}

/** Makes werift use the parsers above (process-wide). */
export function installFastHeaders(): void {
  statics.deSerialize = parseRtpHeader;
  rtcpStatics.deSerialize = parseRtcpHeader;
}
