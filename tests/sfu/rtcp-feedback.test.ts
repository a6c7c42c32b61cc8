/**
 * sfu/rtp/rtcpFeedback.ts reads a viewer's compound RTCP as werift reads it:
 * random compounds of RR, SR, NACK, PLI, FIR and REMB packets give the same
 * report blocks, NACKed sequence numbers, keyframe requests and estimates.
 */
import fc from 'fast-check';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  GenericNack, PictureLossIndication, ReceiverEstimatedMaxBitrate, RtcpPacketConverter, RtcpPayloadSpecificFeedback,
  RtcpRrPacket, RtcpSrPacket, RtcpTransportLayerFeedback,
} from 'werift';
import { readRtcpFeedback } from '../../sfu/rtp/rtcpFeedback.ts';

type Event = [string, ...number[]];
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const u16 = fc.integer({ min: 0, max: 0xffff });

function words(...parts: number[][]): number[] { return parts.flat(); }
function be32(v: number): number[] { return [v >>> 24, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff]; }
function be16(v: number): number[] { return [v >>> 8, v & 0xff]; }
function packet(fmt: number, type: number, body: number[]): number[] {
  return words([0x80 | fmt, type], be16((body.length + 4) / 4 - 1), body);
}

const block = fc.tuple(u32, fc.integer({ min: 0, max: 255 }), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 19, maxLength: 19 }))
  .map(([ssrc, lost, rest]) => words(be32(ssrc), [lost], rest));
const rr = fc.tuple(u32, fc.array(block, { maxLength: 3 })).map(([s, b]) => packet(b.length, 201, words(be32(s), ...b)));
const sr = fc.tuple(u32, fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 20, maxLength: 20 }), fc.array(block, { maxLength: 2 }))
  .map(([s, info, b]) => packet(b.length, 200, words(be32(s), info, ...b)));
const nack = fc.tuple(u32, u32, fc.array(fc.tuple(u16, u16), { minLength: 1, maxLength: 3 }))
  .map(([s, m, fci]) => packet(1, 205, words(be32(s), be32(m), ...fci.map(([pid, blp]) => words(be16(pid), be16(blp))))));
const pli = fc.tuple(u32, u32).map(([s, m]) => packet(1, 206, words(be32(s), be32(m))));
const fir = fc.tuple(u32, fc.array(fc.tuple(u32, fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 2 }))
  .map(([s, fci]) => packet(4, 206, words(be32(s), be32(0), ...fci.map(([ssrc, seq]) => words(be32(ssrc), [seq, 0, 0, 0])))));
const remb = fc.tuple(u32, fc.integer({ min: 0, max: 46 }), fc.integer({ min: 0, max: 0x3ffff }), fc.array(u32, { minLength: 1, maxLength: 2 }))
  .map(([s, exp, mantissa, ssrcs]) => packet(15, 206, words(be32(s), be32(0), [0x52, 0x45, 0x4d, 0x42, ssrcs.length, (exp << 2) | (mantissa >> 16)], be16(mantissa & 0xffff), ...ssrcs.map(be32))));
// werift reads NACK and FIR entries up to the end of the datagram, past the packet's own length,
// so those come last here (where both readers agree); ours stops at the length.
const compound = fc.tuple(fc.array(fc.oneof(rr, sr, pli, remb), { maxLength: 4 }), fc.option(fc.oneof(nack, fir), { nil: undefined }))
  .filter(([ps, n]) => ps.length > 0 || n !== undefined)
  .map(([ps, n]) => Buffer.from([...ps, ...(n ? [n] : [])].flat()));

function ours(buf: Buffer): Event[] {
  const events: Event[] = [];
  const ok = readRtcpFeedback(buf, buf.length, {
    report: (ssrc, lost) => events.push(['report', ssrc, lost]),
    remb: (bitrate) => events.push(['remb', bitrate]),
    keyframe: (ssrc) => events.push(['keyframe', ssrc]),
    nack: (ssrc, seqs) => events.push(['nack', ssrc, ...seqs]),
    transportFeedback: () => {},
  });
  assert.ok(ok, 'well-formed compound');
  return events;
}

function werifts(buf: Buffer): Event[] {
  const events: Event[] = [];
  for (const p of RtcpPacketConverter.deSerialize(buf)) {
    if (p instanceof RtcpRrPacket || p instanceof RtcpSrPacket) {
      for (const r of p.reports) events.push(['report', r.ssrc, r.fractionLost]);
    } else if (p instanceof RtcpTransportLayerFeedback && p.feedback instanceof GenericNack) {
      // werift does not wrap pid + n past 65535; the wire means the sequence number mod 2^16.
      events.push(['nack', p.feedback.mediaSourceSsrc, ...p.feedback.lost.map((s) => s & 0xffff)]);
    } else if (p instanceof RtcpPayloadSpecificFeedback) {
      const fb = p.feedback as unknown;
      if (fb instanceof PictureLossIndication) events.push(['keyframe', fb.mediaSsrc]);
      else if (fb instanceof ReceiverEstimatedMaxBitrate) events.push(['remb', Number(fb.bitrate)]);
      else for (const f of (fb as { fir: { ssrc: number }[] }).fir) events.push(['keyframe', f.ssrc]);
    }
  }
  return events;
}

const reader = suite('RTCP feedback reader');

reader('reads random compounds as werift does', () => {
  fc.assert(fc.property(compound, (buf) => {
    assert.equal(ours(buf), werifts(buf));
  }), { numRuns: 2000 });
});

reader('a NACK followed by more packets yields only its own entries', () => {
  const buf = Buffer.from(words(packet(1, 205, words(be32(1), be32(9), be16(65535), be16(0b101))), packet(1, 206, words(be32(1), be32(9)))));
  const events: Event[] = [];
  assert.ok(readRtcpFeedback(buf, buf.length, { report: () => {}, remb: () => {}, keyframe: (s) => events.push(['keyframe', s]), nack: (s, q) => events.push(['nack', s, ...q]), transportFeedback: () => {} }));
  assert.equal(events, [['nack', 9, 65535, 0, 2], ['keyframe', 9]]);
});

reader('stops at a packet that runs past the datagram or is not version 2', () => {
  const rrOnly = Buffer.from(packet(1, 201, words(be32(1), be32(7), [64], new Array(19).fill(0))));
  const calls: number[] = [];
  const h = { report: (s: number) => calls.push(s), remb: () => {}, keyframe: () => {}, nack: () => {}, transportFeedback: () => {} };
  assert.ok(readRtcpFeedback(rrOnly, rrOnly.length, h));
  assert.equal(calls, [7]);
  assert.not.ok(readRtcpFeedback(rrOnly, rrOnly.length - 4, h));
  const v1 = Buffer.from(rrOnly);
  v1[0] = 0x41;
  assert.not.ok(readRtcpFeedback(v1, v1.length, h));
  assert.equal(calls, [7], "nothing read from either");
});

reader.run();
