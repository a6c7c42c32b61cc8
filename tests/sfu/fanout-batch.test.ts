/**
 * The native batched fan-out (sfu/native/fanout.c through FanoutBatch) and
 * the native sender reports: what arrives on real sockets is decrypted with
 * werift's own SRTP/SRTCP sessions and read field by field. SFU_NATIVE=off
 * skips this file on machines that cannot compile the addon.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RtpPacket, SrtcpSession, SrtpSession } from 'werift';
import { srtpSend } from '../../sfu/native/srtpSend.ts';
import { FanoutBatch, transportCc } from '../../sfu/rtp/FanoutBatch.ts';
import { SrtpEncryptor } from '../../sfu/rtp/SrtpEncryptor.ts';
import { udpLink as link, until } from './helpers/udpLink.ts';

const AES_CM = 1;

interface SessionKeys { srtpSessionKey: Buffer; srtpSessionSalt: Buffer; srtpSessionAuthTag: Buffer; srtcpSessionKey: Buffer; srtcpSessionSalt: Buffer; srtcpSessionAuthTag: Buffer }

/** A sender's session keys (as the SFU gets them from DTLS) and the werift sessions its peer decrypts with. */
function peers() {
  const k = { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(14), remoteMasterKey: randomBytes(16), remoteMasterSalt: randomBytes(14) };
  const reversed = { localMasterKey: k.remoteMasterKey, localMasterSalt: k.remoteMasterSalt, remoteMasterKey: k.localMasterKey, remoteMasterSalt: k.localMasterSalt };
  const srtp = new SrtpSession({ keys: k, profile: AES_CM } as never) as unknown as { localContext: { cipher: SessionKeys } };
  const srtcp = new SrtcpSession({ keys: k, profile: AES_CM } as never) as unknown as { localContext: { cipher: SessionKeys } };
  return {
    rtp: srtp.localContext.cipher,
    rtcp: srtcp.localContext.cipher,
    receiver: { srtp: new SrtpSession({ keys: reversed, profile: AES_CM } as never), srtcp: new SrtcpSession({ keys: reversed, profile: AES_CM } as never) },
  };
}

/** One viewer as the SFU holds it: an encryptor with the sender's keys, a socket, and werift sessions to read what arrives. */
async function viewer() {
  const p = peers();
  const enc = new SrtpEncryptor('ctr', p.rtp.srtpSessionKey, p.rtp.srtpSessionSalt, p.rtp.srtpSessionAuthTag);
  return { p, enc, link: await link() };
}

const batch = suite('FanoutBatch');

batch('each viewer gets its own header, picture id and abs-send-time around the shared payload, under its own keys', async () => {
  const viewers = await Promise.all([0, 1, 2].map(async (i) => ({
    i, ...await viewer(), ssrc: 0x1000 + i, seq: (65534 + i * 1000) & 0xffff, ts: 0xfffffff0 + i, pid: 0x7ff0 + i, absId: i === 2 ? 0 : 3,
  })));
  try {
    // A VP8 payload with a 15-bit picture id at offset 2.
    const payload = Buffer.concat([Buffer.from([0x90, 0x80, 0x81, 0x23]), randomBytes(900)]);
    const fanout = new FanoutBatch();
    for (const v of viewers) {
      fanout.add(v.enc.sessionId, v.link.fd, 0x80 | 96, v.seq, v.ts, v.ssrc, v.enc.rocFor(v.ssrc, v.seq), v.pid, v.absId);
    }
    assert.is(fanout.size, 3);
    assert.is(fanout.flush(payload, 2, true), 3);
    assert.is(fanout.size, 0);
    for (const v of viewers) {
      await until(() => v.link.received.length === 1);
      const rtp = RtpPacket.deSerialize(Buffer.from(v.p.receiver.srtp.decrypt(v.link.received[0]!)));
      const h = rtp.header;
      assert.is(h.ssrc, v.ssrc, `viewer ${v.i} ssrc`);
      assert.is(h.sequenceNumber, v.seq);
      assert.is(h.timestamp, v.ts >>> 0);
      assert.is(h.payloadType, 96);
      assert.ok(h.marker);
      if (v.absId) {
        assert.is(h.extensions.length, 1);
        assert.is(h.extensions[0]!.id, v.absId);
        assert.is(h.extensions[0]!.payload.length, 3);
      } else {
        assert.is(h.extension, false);
      }
      const expected = Buffer.from(payload);
      expected[2] = 0x80 | ((v.pid >> 8) & 0x7f);
      expected[3] = v.pid & 0xff;
      assert.ok(rtp.payload.equals(expected), `viewer ${v.i} payload`);
    }
  } finally {
    for (const v of viewers) v.link.close();
  }
});

batch('a transport-cc job carries its transport-wide sequence number in place of abs-send-time', async () => {
  const v = await viewer();
  try {
    const fanout = new FanoutBatch();
    for (const [seq, tseq] of [[100, 0xfffe], [101, 0xffff], [102, 0]] as const) {
      fanout.add(v.enc.sessionId, v.link.fd, 96, seq, 9000, 0x77, v.enc.rocFor(0x77, seq), 0, transportCc(5, tseq));
    }
    const payload = randomBytes(300);
    assert.is(fanout.flush(payload, -1, false), 3);
    await until(() => v.link.received.length === 3);
    const got = v.link.received.map((d) => RtpPacket.deSerialize(Buffer.from(v.p.receiver.srtp.decrypt(d))));
    assert.equal(got.map((r) => r.header.sequenceNumber), [100, 101, 102]);
    for (const [i, r] of got.entries()) {
      assert.is(r.header.extensions.length, 1);
      assert.is(r.header.extensions[0]!.id, 5);
      assert.is(r.header.extensions[0]!.payload.readUInt16BE(0), [0xfffe, 0xffff, 0][i]);
      assert.ok(r.payload.equals(payload), 'payload intact behind the 20-byte header');
    }
  } finally {
    v.link.close();
  }
});

batch('a job naming no live session or no socket is skipped and not counted', async () => {
  const { enc, link: l } = await viewer();
  try {
    const fanout = new FanoutBatch();
    fanout.add(enc.sessionId, l.fd, 111, 1, 1, 5, 0, 0, 0);
    fanout.add(1 << 19, l.fd, 111, 2, 1, 5, 0, 0, 0);
    fanout.add(enc.sessionId, -1, 111, 3, 1, 5, 0, 0, 0);
    fanout.add(enc.sessionId, l.fd, 111, 4, 1, 5, 0, 0, 15);
    assert.is(fanout.flush(randomBytes(80), -1, false), 1);
    await until(() => l.received.length === 1);
    await new Promise((r) => setTimeout(r, 50));
    assert.is(l.received.length, 1);
  } finally {
    l.close();
  }
});

batch('grows past its first capacity', async () => {
  const { p, enc, link: l } = await viewer();
  try {
    const fanout = new FanoutBatch();
    for (let i = 0; i < 200; i++) fanout.add(enc.sessionId, l.fd, 111, i, i * 960, 9, enc.rocFor(9, i), 0, 0);
    assert.is(fanout.flush(randomBytes(60), -1, false), 200);
    await until(() => l.received.length === 200);
    const seqs = l.received.map((m) => RtpPacket.deSerialize(Buffer.from(p.receiver.srtp.decrypt(m))).header.sequenceNumber);
    assert.equal(seqs, Array.from({ length: 200 }, (_v, i) => i));
  } finally {
    l.close();
  }
});

batch('out-of-range arguments are refused with a code', () => {
  const jobs = new Int32Array(8);
  const payload = new Uint8Array(10);
  const code = (c: string) => (e: NodeJS.ErrnoException) => e.code === c;
  assert.throws(() => srtpSend!.sendBatch(payload, jobs, 2, -1, false, 0), code('SFU_NATIVE_RANGE'));
  assert.throws(() => srtpSend!.sendBatch(payload, jobs, 1, 9, true, 0), code('SFU_NATIVE_RANGE'));
  assert.throws(() => srtpSend!.sendBatch(new Uint8Array(1601), jobs, 1, -1, false, 0), code('SFU_NATIVE_RANGE'));
  assert.throws(() => srtpSend!.sendBatch(payload, new Uint32Array(8) as never, 1, -1, false, 0), code('SFU_NATIVE_ARGS'));
  assert.throws(() => srtpSend!.sessionId({}), code('SFU_NATIVE_ARGS'));
});

const reports = suite('native sender reports');

reports('protectRtcp with a socket sends an SRTCP packet the viewer authenticates and reads', async () => {
  const p = peers();
  const session = srtpSend!.createSession(p.rtcp.srtcpSessionKey, p.rtcp.srtcpSessionSalt, p.rtcp.srtcpSessionAuthTag);
  const l = await link();
  try {
    const sr = Buffer.concat([Buffer.from([0x80, 200, 0, 6]), randomBytes(24)]);
    const buf = Buffer.alloc(sr.length + 14);
    sr.copy(buf);
    assert.is(srtpSend!.protectRtcp(session, buf, 0, sr.length, 7, l.fd), sr.length + 14);
    await until(() => l.received.length === 1);
    assert.ok(Buffer.from(p.receiver.srtcp.decrypt(l.received[0]!)).equals(sr));
    assert.throws(() => srtpSend!.protectRtcp(session, buf, 0, sr.length, 8, -3), (e: NodeJS.ErrnoException) => e.code === 'SFU_NATIVE_ARGS');
  } finally {
    l.close();
  }
});

if (process.env.SFU_NATIVE === 'off') {
  console.log('SFU_NATIVE=off: native fan-out tests skipped');
} else {
  batch.run();
  reports.run();
}
