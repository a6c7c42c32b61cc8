/**
 * RTCP sender reports (RFC 3550 6.4.1) for the streams a viewer receives: the
 * NTP/RTP timestamp pair lets a browser line audio up with video, and the
 * counts feed its receive statistics.
 */

/** Writes an RTCP sender report (RFC 3550 6.4.1, no report blocks) at `o`; returns the offset after it. */
export function writeSenderReport(b: Buffer, o: number, ssrc: number, wallMs: number, rtpTs: number, packets: number, octets: number): number {
  b[o] = 0x80;
  b[o + 1] = 200;
  b.writeUInt16BE(6, o + 2);
  b.writeUInt32BE(ssrc >>> 0, o + 4);
  b.writeUInt32BE((Math.floor(wallMs / 1000) + 2208988800) >>> 0, o + 8);
  b.writeUInt32BE(Math.floor(((wallMs % 1000) / 1000) * 2 ** 32) >>> 0, o + 12);
  b.writeUInt32BE(rtpTs >>> 0, o + 16);
  b.writeUInt32BE(packets >>> 0, o + 20);
  b.writeUInt32BE(octets >>> 0, o + 24);
  return o + 28;
}
