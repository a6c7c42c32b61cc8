/**
 * A publisher that sends what no browser sends: RTP packets far over a path
 * MTU, between ordinary ones. The SFU drops those (counted in the show's
 * stats) and keeps forwarding the rest; the publisher here is a werift WHIP
 * client writing its own packets, the viewer a werift WHEP client.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import { createSfu, type Sfu } from '../../sfu/sfu.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { exitSoon, startOrigin, waitFor, type Origin } from './helpers/browser.ts';
import { joinWhep, type WeriftViewerClient } from './helpers/weriftViewer.ts';

const secret = new Uint8Array(32).fill(23);
const show = 'hostile';
let sfu: Sfu;
let origin: Origin;

/** A VP8 keyframe payload (descriptor, frame tag, start code, 320x180) padded to `size` bytes. */
function vp8Keyframe(size: number): Buffer {
  const p = Buffer.alloc(size, 0x55);
  Buffer.from([0x10, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00]).copy(p);
  return p;
}

async function publish(): Promise<{ video: MediaStreamTrack; close: () => Promise<void> }> {
  const pc = new RTCPeerConnection({
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' } as never,
    iceUseIpv6: false,
    codecs: { video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 })], audio: [] },
    headerExtensions: { video: [], audio: [] },
  });
  const video = new MediaStreamTrack({ kind: 'video' });
  pc.addTransceiver(video, { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const token = mintSfuToken(secret, { kind: 'whip', showId: show, sub: 'model', ttlSeconds: 600 });
  const res = await fetch(`${origin.url}/whip/${show}`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: pc.localDescription!.sdp,
  });
  assert.is(res.status, 201, await res.clone().text());
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  await waitFor(() => pc.connectionState === 'connected', 10_000, 'publisher connected');
  return { video, close: () => pc.close() };
}

const hostile = suite('hostile publisher');

hostile.before(async () => {
  sfu = await createSfu({ workers: 1, listenIp: '127.0.0.1' });
  origin = await startOrigin(sfu.engine, secret);
});

hostile.after(async () => {
  await origin?.close();
  await sfu?.close();
  exitSoon();
});

hostile('packets over a path MTU are dropped and counted; the rest still reach the viewer', async () => {
  const publisher = await publish();
  let viewer: WeriftViewerClient | undefined;
  let seq = 1000;
  let ts = 0;
  const send = (size: number, marker = true) => {
    const header = new RtpHeader({ payloadType: 96, sequenceNumber: seq++ & 0xffff, timestamp: (ts += 3000) >>> 0, ssrc: 1234, marker });
    publisher.video.writeRtp(new RtpPacket(header, vp8Keyframe(size)));
  };
  const pump = setInterval(() => send(900), 33);
  try {
    await waitFor(() => sfu.engine.hasShow(show), 10_000, 'show live');
    const whep = mintSfuToken(secret, { kind: 'whep', showId: show, sub: 'viewer', ttlSeconds: 600 });
    viewer = await joinWhep({ endpoint: `${origin.url}/whep/${show}`, token: whep });
    await waitFor(() => viewer!.videoPackets() > 10, 10_000, 'viewer receiving');
    const before = viewer.videoPackets();
    for (const size of [1501, 4000, 60_000]) send(size);
    await new Promise((r) => setTimeout(r, 1000));
    assert.ok(viewer.videoPackets() > before + 15, `still forwarding (${before} -> ${viewer.videoPackets()})`);
    const [stats] = await sfu.engine.showStats();
    assert.is(stats!.oversizeDropped, 3);
    // What the viewer misses is the dropped packets, as loss: nothing else.
    assert.is(viewer.lostPackets(), 3);
  } finally {
    clearInterval(pump);
    await viewer?.close();
    await publisher.close();
  }
});

hostile.run();
