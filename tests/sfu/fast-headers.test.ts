/**
 * The RTP/RTCP header parsers werift is given (sfu/werift/fastHeaders.ts)
 * read exactly what werift's own read, on random headers: CSRCs, one-byte,
 * two-byte and unknown extension profiles (with padding bytes), padding.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RtpHeader } from 'werift';
import { parseRtcpHeader, parseRtpHeader, weriftRtcpHeader, weriftRtpHeader } from '../../sfu/werift/fastHeaders.ts';

type Ext = { id: number; data: number[] };

function packet(b0: number, b1: number, seq: number, ts: number, ssrc: number, csrc: number[], profile: number | undefined, exts: Ext[], pad: number, payload: number[], last: number): Buffer {
  const parts: number[] = [];
  const head = Buffer.alloc(12);
  head[0] = (b0 & 0xc0) | (profile === undefined ? 0 : 0x10) | csrc.length | (last > 0 ? 0x20 : 0);
  head[1] = b1;
  head.writeUInt16BE(seq, 2);
  head.writeUInt32BE(ts, 4);
  head.writeUInt32BE(ssrc, 8);
  parts.push(...head);
  for (const c of csrc) parts.push(c >>> 24, (c >>> 16) & 0xff, (c >>> 8) & 0xff, c & 0xff);
  if (profile !== undefined) {
    const body: number[] = [];
    for (const e of exts) {
      if (profile === 0xbede) body.push((e.id << 4) | (e.data.length - 1), ...e.data);
      else if (profile === 0x1000) body.push(e.id, e.data.length, ...e.data);
      else body.push(...e.data);
      for (let i = 0; i < pad; i++) body.push(0);
    }
    while (body.length % 4) body.push(0);
    parts.push(profile >> 8, profile & 0xff, (body.length / 4) >> 8, (body.length / 4) & 0xff, ...body);
  }
  parts.push(...payload);
  if (last > 0) parts.push(last);
  return Buffer.from(parts);
}

const arbitraryPacket = fc.record({
  b0: fc.integer({ min: 0, max: 255 }),
  b1: fc.integer({ min: 0, max: 255 }),
  seq: fc.integer({ min: 0, max: 0xffff }),
  ts: fc.integer({ min: 0, max: 0xffffffff }),
  ssrc: fc.integer({ min: 0, max: 0xffffffff }),
  csrc: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { maxLength: 15 }),
  profile: fc.constantFrom(undefined, 0xbede, 0x1000, 0x0100),
  exts: fc.array(fc.record({ id: fc.integer({ min: 1, max: 14 }), data: fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 1, maxLength: 16 }) }), { maxLength: 5 }),
  pad: fc.integer({ min: 0, max: 3 }),
  payload: fc.array(fc.integer({ min: 0, max: 255 }), { maxLength: 40 }),
  last: fc.integer({ min: 0, max: 20 }),
}).map((p) => packet(p.b0, p.b1, p.seq, p.ts, p.ssrc, p.csrc, p.profile, p.exts, p.pad, p.payload, p.last));

function plain(h: RtpHeader) {
  return { ...h, extensions: h.extensions.map((e) => ({ id: e.id, payload: [...e.payload] })) };
}

const rtp = suite('RTP header');

rtp('reads what werift reads', () => {
  fc.assert(fc.property(arbitraryPacket, (buf) => {
    assert.equal(plain(parseRtpHeader(buf)), plain(weriftRtpHeader(buf)));
  }), { numRuns: 3000 });
});

rtp('throws on a truncated header as werift does', () => {
  for (const n of [0, 3, 7, 11]) {
    assert.throws(() => weriftRtpHeader(Buffer.alloc(n, 0x80)));
    assert.throws(() => parseRtpHeader(Buffer.alloc(n, 0x80)));
  }
});

rtp('a reserved one-byte extension id (15) ends the parse at the end of the block', () => {
  const buf = Buffer.from([0x90, 96, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xbe, 0xde, 0, 1, 0xf0, 0, 0, 0, 0xaa]);
  assert.is(parseRtpHeader(buf).payloadOffset, 20);
});

const rtcp = suite('RTCP header');

rtcp('reads what werift reads', () => {
  fc.assert(fc.property(fc.uint8Array({ minLength: 4, maxLength: 8 }), (bytes) => {
    const buf = Buffer.from(bytes);
    assert.equal({ ...parseRtcpHeader(buf) }, { ...weriftRtcpHeader(buf) });
  }), { numRuns: 2000 });
});

rtp.run();
rtcp.run();
