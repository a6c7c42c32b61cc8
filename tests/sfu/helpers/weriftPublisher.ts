/**
 * A WHIP publisher built on werift that writes its own packets: VP8 at 30
 * packets/s (a keyframe each second) and Opus at 50 packets/s. It can stop
 * sending while its connection stays up, as a publisher whose ICE expired on
 * its side or whose encoder hung does.
 */
import { MediaStreamTrack, RtpHeader, RtpPacket } from 'werift';
import { loopbackPeer } from './loopbackPeer.ts';

export interface WeriftPublisherClient {
  /** werift's connection state of the publisher's side. */
  state(): string;
  /** Packets written so far. */
  sent(): number;
  /** Stops writing packets (the connection stays up). */
  pause(): void;
  resume(): void;
  close(): Promise<void>;
}

/** A VP8 payload: descriptor (start of partition), frame tag (keyframe with start code and 320x180, or inter frame), padding. */
function vp8(keyframe: boolean, size: number): Buffer {
  const p = Buffer.alloc(size, 0x55);
  const head = keyframe ? [0x10, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00] : [0x10, 0x51, 0x01, 0x00];
  Buffer.from(head).copy(p);
  return p;
}

export async function publishWhip(endpoint: string, token: string): Promise<WeriftPublisherClient> {
  const pc = loopbackPeer();
  const video = new MediaStreamTrack({ kind: 'video' });
  const audio = new MediaStreamTrack({ kind: 'audio' });
  pc.addTransceiver(video, { direction: 'sendonly' });
  pc.addTransceiver(audio, { direction: 'sendonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: pc.localDescription!.sdp,
  });
  if (res.status !== 201) throw new Error(`WHIP answered ${res.status}: ${await res.text()}`);
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  const deadline = Date.now() + 10_000;
  while (pc.connectionState !== 'connected') {
    if (Date.now() > deadline) throw new Error(`publisher did not connect (${pc.connectionState})`);
    await new Promise((r) => setTimeout(r, 20));
  }

  let sent = 0;
  let paused = false;
  let vseq = 100;
  let vts = 0;
  let frame = 0;
  let aseq = 100;
  let ats = 0;
  const videoTimer = setInterval(() => {
    if (paused) return;
    const key = frame++ % 30 === 0;
    const header = new RtpHeader({ payloadType: 96, sequenceNumber: vseq++ & 0xffff, timestamp: (vts += 3000) >>> 0, ssrc: 4242, marker: true });
    video.writeRtp(new RtpPacket(header, vp8(key, 900)));
    sent++;
  }, 33);
  const audioTimer = setInterval(() => {
    if (paused) return;
    const header = new RtpHeader({ payloadType: 111, sequenceNumber: aseq++ & 0xffff, timestamp: (ats += 960) >>> 0, ssrc: 4343, marker: false });
    audio.writeRtp(new RtpPacket(header, Buffer.alloc(120, 0x11)));
    sent++;
  }, 20);
  return {
    state: () => pc.connectionState,
    sent: () => sent,
    pause: () => { paused = true; },
    resume: () => { paused = false; },
    close: async () => {
      clearInterval(videoTimer);
      clearInterval(audioTimer);
      await pc.close();
    },
  };
}
