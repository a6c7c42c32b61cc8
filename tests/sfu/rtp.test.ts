/**
 * The forwarding path's building blocks against independent implementations:
 * our SRTP protect decrypts with werift's SRTP (across a sequence wrap, both
 * profiles); our transport-cc and REMB packets parse with werift's RTCP
 * parser; keyframe-request aggregation; VP8/H.264 keyframe detection.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import {
  RtcpPacketConverter, RtcpPayloadSpecificFeedback, RtcpTransportLayerFeedback, ReceiverEstimatedMaxBitrate,
  RtpPacket, SrtpSession, TransportWideCC,
} from 'werift';
import { isH264Keyframe, isVp8Keyframe, vp8KeyframeSize, vp8PictureIdOffsets, readVp8PictureId } from '../../sfu/rtp/codec.ts';
import { KeyframeRequester } from '../../sfu/rtp/KeyframeRequester.ts';
import { HEADROOM, SrtpEncryptor } from '../../sfu/rtp/SrtpEncryptor.ts';
import { buildRemb, TwccFeedback } from '../../sfu/rtp/TwccFeedback.ts';

const srtp = suite('SrtpEncryptor');

function sessions(profile: number, keyLength: number, saltLength: number) {
  const k1 = randomBytes(keyLength), s1 = randomBytes(saltLength), k2 = randomBytes(keyLength), s2 = randomBytes(saltLength);
  const sender = new SrtpSession({ keys: { localMasterKey: k1, localMasterSalt: s1, remoteMasterKey: k2, remoteMasterSalt: s2 }, profile } as never);
  const receiver = new SrtpSession({ keys: { localMasterKey: k2, localMasterSalt: s2, remoteMasterKey: k1, remoteMasterSalt: s1 }, profile } as never);
  const ctx = (sender as unknown as { localContext: { srtpSessionKey: Buffer; srtpSessionSalt: Buffer; srtpSessionAuthTag: Buffer } }).localContext;
  return { receiver, ctx };
}

function roundTrip(kind: 'ctr' | 'gcm', profile: number, saltLength: number) {
  const { receiver, ctx } = sessions(profile, 16, saltLength);
  const enc = kind === 'ctr'
    ? new SrtpEncryptor('ctr', ctx.srtpSessionKey, ctx.srtpSessionSalt, ctx.srtpSessionAuthTag)
    : new SrtpEncryptor('gcm', ctx.srtpSessionKey, ctx.srtpSessionSalt);
  const ssrc = 0x11223344;
  // Through a sequence-number wrap (rollover counter) with odd payload sizes.
  for (const [i, seq] of [65530, 65531, 65532, 65533, 65534, 65535, 0, 1, 2, 3].entries()) {
    const payload = randomBytes(1 + ((i * 397) % 1190));
    const header = Buffer.alloc(12);
    header[0] = 0x80; header[1] = 96 | (i % 2 ? 0x80 : 0);
    header.writeUInt16BE(seq, 2); header.writeUInt32BE(1000 + i * 3000, 4); header.writeUInt32BE(ssrc, 8);
    header.copy(enc.buffer, HEADROOM);
    payload.copy(enc.buffer, HEADROOM + 12);
    const out = enc.protect(12 + payload.length, 12);
    const plain = receiver.decrypt(out);
    const rtp = RtpPacket.deSerialize(plain);
    assert.is(rtp.header.sequenceNumber, seq);
    assert.is(rtp.header.ssrc, ssrc);
    assert.ok(rtp.payload.equals(payload), `payload ${i} (seq ${seq}) survives`);
  }
}

srtp('AES-CM + HMAC-SHA1-80 output decrypts with werift, across a ROC wrap', () => roundTrip('ctr', 0x0001, 14));
srtp('AEAD-AES-128-GCM output decrypts with werift, across a ROC wrap', () => roundTrip('gcm', 0x0007, 12));

const rtcp = suite('transport-cc and REMB packets');

rtcp('TWCC feedback parses with werift and reports arrivals and losses', () => {
  const fb = new TwccFeedback(0xaabbccdd);
  const t0 = 5_000_000_000;
  const arrivals = new Map<number, number>();
  for (let seq = 65500; seq < 65500 + 80; seq++) {
    const s16 = seq & 0xffff;
    if (s16 % 7 === 3) continue; // lost
    const t = t0 + (seq - 65500) * 1700 + (seq % 5 === 0 ? 90_000 : 0); // some large deltas
    arrivals.set(s16, t);
    fb.record(s16, 0x01020304, t);
  }
  const buf = fb.build()!;
  assert.ok(buf && buf.length % 4 === 0);
  const [packet] = RtcpPacketConverter.deSerialize(buf);
  assert.ok(packet instanceof RtcpTransportLayerFeedback);
  const twcc = (packet as RtcpTransportLayerFeedback).feedback as TransportWideCC;
  assert.ok(twcc instanceof TransportWideCC);
  assert.is(twcc.mediaSourceSsrc, 0x01020304);
  assert.is(twcc.baseSequenceNumber, 65500);
  assert.is(twcc.packetStatusCount, 80);
  assert.is(twcc.recvDeltas.length, arrivals.size);
  // Arrival times rebuilt from reference time + deltas match within one 250 us tick.
  let t = twcc.referenceTime * 64_000;
  const ordered = [...arrivals.values()];
  twcc.recvDeltas.forEach((d, i) => {
    t += d.delta;
    assert.ok(Math.abs(t - ordered[i]!) <= 250, `packet ${i}: ${t} vs ${ordered[i]}`);
  });
  assert.is(fb.build(), undefined, 'nothing new to report');
  fb.record(44, 0x01020304, t0 + 1_000_000);
  const next = RtcpPacketConverter.deSerialize(fb.build()!)[0] as RtcpTransportLayerFeedback;
  assert.is((next.feedback as TransportWideCC).baseSequenceNumber, (65500 + 80) & 0xffff, 'next feedback starts where the last ended');
});

rtcp('REMB parses with werift', () => {
  const [packet] = RtcpPacketConverter.deSerialize(buildRemb(1, 3_500_000, [7, 8, 9]));
  assert.ok(packet instanceof RtcpPayloadSpecificFeedback);
  const remb = (packet as RtcpPayloadSpecificFeedback).feedback as ReceiverEstimatedMaxBitrate;
  assert.ok(remb instanceof ReceiverEstimatedMaxBitrate);
  assert.ok(Math.abs(Number(remb.bitrate) - 3_500_000) < 3_500_000 * 0.001);
  assert.equal(remb.ssrcFeedbacks, [7, 8, 9]);
});

const kf = suite('KeyframeRequester');

kf('many requests: one now, then at most one per interval per layer', async () => {
  const sent: { layer: number; at: number }[] = [];
  const t0 = performance.now();
  const k = new KeyframeRequester(200, (layer) => sent.push({ layer, at: performance.now() - t0 }));
  for (let i = 0; i < 50; i++) {
    k.request(2);
    if (i % 10 === 0) k.request(0);
    await new Promise((r) => setTimeout(r, 15));
  }
  await new Promise((r) => setTimeout(r, 250));
  const high = sent.filter((s) => s.layer === 2);
  assert.ok(high[0]!.at < 20, 'the first request goes out at once');
  for (let i = 1; i < high.length; i++) assert.ok(high[i]!.at - high[i - 1]!.at >= 195, 'spaced by the interval');
  assert.ok(high.length >= 3 && high.length <= Math.ceil((50 * 15 + 250) / 200) + 1, `${high.length} sent`);
  assert.ok(sent.some((s) => s.layer === 0), 'layers are independent');
  assert.is(k.requested, 55);
  k.close();
});

kf('a keyframe that arrives cancels the pending request', async () => {
  let sent = 0;
  const k = new KeyframeRequester(100, () => { sent++; });
  k.request(1);
  k.request(1);
  k.keyframeReceived(1);
  await new Promise((r) => setTimeout(r, 150));
  assert.is(sent, 1);
  k.close();
});

kf('layers that key together share one interval: viewers spread over layers cost one request per interval', async () => {
  const sent: { layer: number; at: number }[] = [];
  const t0 = performance.now();
  const k = new KeyframeRequester(100, (layer) => sent.push({ layer, at: performance.now() - t0 }), true);
  for (let i = 0; i < 30; i++) {
    k.request(i % 3);
    await new Promise((r) => setTimeout(r, 10));
  }
  await new Promise((r) => setTimeout(r, 350));
  for (let i = 1; i < sent.length; i++) assert.ok(sent[i]!.at - sent[i - 1]!.at >= 95, `spaced by the interval: ${JSON.stringify(sent)}`);
  const elapsed = performance.now() - t0;
  assert.ok(sent.length <= Math.ceil(elapsed / 100) + 1, `${sent.length} sent in ${elapsed} ms`);
  // Oldest first: every layer still gets its own request when no keyframe answers for it.
  assert.equal(new Set(sent.map((s) => s.layer)), new Set([0, 1, 2]));
  k.close();
});

kf('with a shared interval a keyframe on a layer still cancels only that layer', async () => {
  const sent: number[] = [];
  const k = new KeyframeRequester(60, (layer) => sent.push(layer), true);
  k.request(2); // sent now
  k.request(0);
  k.request(1);
  k.keyframeReceived(0); // the PLI for 2 keyed layer 0 too
  await new Promise((r) => setTimeout(r, 200));
  assert.equal(sent, [2, 1]);
  k.close();
});

const codec = suite('codec parsing');

codec('VP8 keyframe, size and picture id', () => {
  // Descriptor: X=1 S=1 PID=0; I=1 with 15-bit picture id 0x1234; then a keyframe header 640x360.
  const key = Buffer.from([0x90, 0x80, 0x80 | 0x12, 0x34, 0x50, 0x00, 0x00, 0x9d, 0x01, 0x2a, 0x80, 0x02, 0x68, 0x01]);
  assert.ok(isVp8Keyframe(key));
  assert.equal(vp8KeyframeSize(key), { width: 640, height: 360 });
  const o = vp8PictureIdOffsets(key);
  assert.is(readVp8PictureId(key, o.pid, o.long), 0x1234);
  const delta = Buffer.from(key); delta[4] = 0x51; // P bit set
  assert.not.ok(isVp8Keyframe(delta));
  const cont = Buffer.from(key); cont[0] = 0x80; // not a partition start
  assert.not.ok(isVp8Keyframe(cont));
});

codec('H.264 IDR in single NAL, FU-A start and STAP-A', () => {
  assert.ok(isH264Keyframe(Buffer.from([0x65, 0x88])));
  assert.not.ok(isH264Keyframe(Buffer.from([0x41, 0x9a])));
  assert.ok(isH264Keyframe(Buffer.from([0x7c, 0x85, 0x00])));
  assert.not.ok(isH264Keyframe(Buffer.from([0x7c, 0x05, 0x00])));
  assert.ok(isH264Keyframe(Buffer.from([0x78, 0x00, 0x02, 0x67, 0x42, 0x00, 0x02, 0x68, 0xce])));
});

srtp.run();
rtcp.run();
kf.run();
codec.run();
