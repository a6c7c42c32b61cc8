/**
 * The native SRTP addon (sfu/native) against werift's and our TypeScript
 * SRTP: byte-identical output, tampered packets refused, a sequence-number
 * wrap handled, and a real send on a connected socket. The addon must be
 * built (`npm install` builds it); SFU_NATIVE=off skips this file on
 * machines that cannot compile it.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { RtpHeader, SrtcpSession, SrtpSession } from 'werift';
import { srtpSend } from '../../sfu/native/srtpSend.ts';
import { HEADROOM, SrtpEncryptor } from '../../sfu/rtp/SrtpEncryptor.ts';
import { accelerateSrtp } from '../../sfu/werift/nativeSrtp.ts';
import { udpLink, until } from './helpers/udpLink.ts';

const AES_CM = 1;

function keys() {
  const k = { localMasterKey: randomBytes(16), localMasterSalt: randomBytes(14), remoteMasterKey: randomBytes(16), remoteMasterSalt: randomBytes(14) };
  const reversed = { localMasterKey: k.remoteMasterKey, localMasterSalt: k.remoteMasterSalt, remoteMasterKey: k.localMasterKey, remoteMasterSalt: k.localMasterSalt };
  return { k, reversed };
}

/** A DTLS-transport-shaped pair of werift sessions, as accelerateSrtp sees them. */
function transport(k: ReturnType<typeof keys>['k']) {
  return { srtp: new SrtpSession({ keys: k, profile: AES_CM } as never), srtcp: new SrtcpSession({ keys: k, profile: AES_CM } as never) };
}

function rtcpReport(i: number): Buffer {
  return Buffer.concat([Buffer.from([0x81, 201, 0, 7]), Buffer.from([0, 0, 0x10, i & 0xff]), randomBytes(24)]);
}

const built = suite('native addon');

built('is built (set SFU_NATIVE=off only where it cannot be)', () => {
  assert.ok(srtpSend, 'sfu/native/build/Release/srtp_send.node is missing: run npm install');
});

built('protect equals the TypeScript SrtpEncryptor byte for byte, across a sequence wrap', () => {
  const key = randomBytes(16), salt = randomBytes(14), auth = randomBytes(20);
  const ts = new SrtpEncryptor('ctr', key, salt, auth);
  const session = srtpSend!.createSession(key, salt, auth);
  for (let i = 0; i < 3000; i++) {
    const seq = (64000 + i) & 0xffff;
    const length = 12 + ((i * 37) % 1300);
    const plain = randomBytes(length);
    plain[0] = 0x80;
    plain.writeUInt16BE(seq, 2);
    plain.writeUInt32BE(0xabc, 8);
    plain.copy(ts.buffer, HEADROOM);
    const expected = ts.protect(length, 12);
    const out = Buffer.alloc(length + 10);
    plain.copy(out);
    srtpSend!.protect(session, out, 0, length, 12, 64000 + i >= 0x10000 ? 1 : 0);
    assert.ok(out.equals(expected), `packet ${i} (seq ${seq}) differs`);
  }
});

built('refuses arguments that do not fit, with a code', () => {
  const session = srtpSend!.createSession(randomBytes(16), randomBytes(14), randomBytes(20));
  const buf = Buffer.alloc(100);
  assert.throws(() => srtpSend!.protect(session, buf, 0, 95, 12, 0), (e: NodeJS.ErrnoException) => e.code === 'SFU_NATIVE_RANGE');
  assert.throws(() => srtpSend!.protect(session, buf, 0, 50, 60, 0), (e: NodeJS.ErrnoException) => e.code === 'SFU_NATIVE_RANGE');
  assert.throws(() => srtpSend!.createSession(randomBytes(15), randomBytes(14), randomBytes(20)), (e: NodeJS.ErrnoException) => e.code === 'SFU_NATIVE_ARGS');
  assert.throws(() => srtpSend!.protect({}, buf, 0, 20, 12, 0), (e: NodeJS.ErrnoException) => e.code === 'SFU_NATIVE_ARGS');
});

const werift = suite('werift sessions accelerated');

werift('decrypt SRTP and SRTCP, encrypt SRTCP exactly as werift does', () => {
  const { k, reversed } = keys();
  const peer = transport(k);
  const plain = transport(reversed);
  const fast = transport(reversed);
  assert.ok(accelerateSrtp(fast as never));
  for (let i = 0; i < 2000; i++) {
    const header = new RtpHeader({ sequenceNumber: (65000 + i) & 0xffff, timestamp: i * 3000, ssrc: 4242, payloadType: 96, marker: i % 3 === 0 });
    const enc = peer.srtp.encrypt(randomBytes(1 + (i % 1200)), header);
    assert.ok(Buffer.from(plain.srtp.decrypt(Buffer.from(enc))).equals(Buffer.from(fast.srtp.decrypt(Buffer.from(enc)))), `rtp ${i}`);
    const report = rtcpReport(i);
    const mine = fast.srtcp.encrypt(Buffer.from(report));
    assert.ok(plain.srtcp.encrypt(Buffer.from(report)).equals(mine), `srtcp out ${i}`);
    assert.ok(Buffer.from(peer.srtcp.decrypt(mine)).equals(report), `peer reads srtcp ${i}`);
    assert.ok(Buffer.from(fast.srtcp.decrypt(peer.srtcp.encrypt(Buffer.from(report)))).equals(report), `srtcp in ${i}`);
  }
});

werift('a tampered or truncated packet is refused like werift refuses it', () => {
  const { k, reversed } = keys();
  const peer = transport(k);
  const fast = transport(reversed);
  accelerateSrtp(fast as never);
  const rtp = Buffer.from(peer.srtp.encrypt(randomBytes(200), new RtpHeader({ sequenceNumber: 1, timestamp: 1, ssrc: 7, payloadType: 96 })));
  rtp[40] = rtp[40]! ^ 1;
  assert.throws(() => fast.srtp.decrypt(rtp), /authenticate SRTP/);
  const rtcp = peer.srtcp.encrypt(rtcpReport(1));
  rtcp[12] = rtcp[12]! ^ 1;
  assert.throws(() => fast.srtcp.decrypt(rtcp), /authenticate SRTCP/);
  assert.throws(() => fast.srtcp.decrypt(rtcp.subarray(0, 20)), /authenticate SRTCP/);
});

const send = suite('protectAndSend');

send('sends the protected packet on a connected socket', async () => {
  const link = await udpLink();
  try {
    const key = randomBytes(16), salt = randomBytes(14), auth = randomBytes(20);
    const sender = new SrtpEncryptor('ctr', key, salt, auth);
    const reference = new SrtpEncryptor('ctr', key, salt, auth);
    assert.ok(sender.native);
    const plain = randomBytes(500);
    plain[0] = 0x80;
    plain.writeUInt16BE(9, 2);
    plain.copy(sender.buffer, HEADROOM);
    plain.copy(reference.buffer, HEADROOM);
    assert.is(sender.protectAndSend(500, 12, link.fd), 510);
    await until(() => link.received.length === 1);
    assert.ok(link.received[0]!.equals(reference.protect(500, 12)));
  } finally {
    link.close();
  }
});

if (process.env.SFU_NATIVE === 'off') {
  console.log('SFU_NATIVE=off: native SRTP tests skipped');
} else {
  built.run();
  werift.run();
  send.run();
}
