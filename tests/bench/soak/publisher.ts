/**
 * The soak's public-show publisher: a werift WHIP publisher (VP8 at 30 packets/s with a keyframe each second, Opus
 * at 50 packets/s, as tests/sfu/helpers/weriftPublisher.ts writes them) driven by a model's signaling session. When
 * its SFU session ends (server-sent `reconnect` after a worker died), it comes back as the studio does: a fresh
 * WHIP token from `show:open`, then a new POST.
 */
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import type { Session } from '../../../client/services/session.ts';
import { resourceEnded } from './resource-events.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function vp8(keyframe: boolean, size: number): Buffer {
  const p = Buffer.alloc(size, 0x55);
  Buffer.from(keyframe ? [0x10, 0x50, 0x01, 0x00, 0x9d, 0x01, 0x2a, 0x40, 0x01, 0xb4, 0x00] : [0x10, 0x51, 0x01, 0x00]).copy(p);
  return p;
}

/** A model publishing over WHIP to the media node, re-publishing whenever its SFU session ends. */
export class SoakPublisher {
  readonly #session: Session;
  readonly #mediaUrl: string;
  #closed = false;
  #pc: RTCPeerConnection | null = null;
  #abort = new AbortController();
  republished = 0;
  showId = '';

  constructor(session: Session, mediaUrl: string) {
    this.#session = session;
    this.#mediaUrl = mediaUrl;
  }

  /** Publishes once (resolves when connected), then keeps publishing in the background. */
  async start(): Promise<void> {
    const { ended } = await this.#publish();
    void this.#loop(ended);
  }

  async #loop(ended: Promise<string>): Promise<void> {
    while (!this.#closed) {
      await ended;
      if (this.#closed) return;
      await this.#pc?.close().catch(() => undefined);
      for (;;) {
        if (this.#closed) return;
        try {
          ({ ended } = await this.#publish());
          this.republished++;
          break;
        } catch {
          await sleep(250);
        }
      }
    }
  }

  async #publish(): Promise<{ ended: Promise<string> }> {
    const { showId, whipUrl, whipToken } = await this.#session.request('show:open', {});
    this.showId = showId;
    const pc = new RTCPeerConnection({
      iceAdditionalHostAddresses: ['127.0.0.1'], iceInterfaceAddresses: { udp4: '127.0.0.1' } as never, iceUseIpv6: false,
      codecs: {
        audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 })],
        video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 })],
      },
      headerExtensions: { video: [], audio: [] },
    });
    this.#pc = pc;
    const video = new MediaStreamTrack({ kind: 'video' });
    const audio = new MediaStreamTrack({ kind: 'audio' });
    pc.addTransceiver(video, { direction: 'sendonly' });
    pc.addTransceiver(audio, { direction: 'sendonly' });
    try {
      await pc.setLocalDescription(await pc.createOffer());
      const res = await fetch(new URL(whipUrl, this.#mediaUrl), {
        method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${whipToken}` }, body: pc.localDescription!.sdp,
      });
      if (res.status !== 201) throw new Error(`WHIP ${res.status}: ${await res.text()}`);
      const location = res.headers.get('Location') ?? '';
      await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
      const deadline = Date.now() + 10_000;
      while (pc.connectionState !== 'connected') {
        if (Date.now() > deadline) throw new Error(`publisher did not connect (${pc.connectionState})`);
        await sleep(20);
      }
      let vseq = 100; let vts = 0; let frame = 0; let aseq = 100; let ats = 0;
      // Like a camera: a keyframe each second (a new viewer or a re-joined one waits at most that long).
      const vt = setInterval(() => {
        const header = new RtpHeader({ payloadType: 96, sequenceNumber: vseq++ & 0xffff, timestamp: (vts += 3000) >>> 0, ssrc: 4242, marker: true });
        video.writeRtp(new RtpPacket(header, vp8(frame++ % 30 === 0, 900)));
      }, 33);
      const at = setInterval(() => {
        const header = new RtpHeader({ payloadType: 111, sequenceNumber: aseq++ & 0xffff, timestamp: (ats += 960) >>> 0, ssrc: 4343, marker: false });
        audio.writeRtp(new RtpPacket(header, Buffer.alloc(120, 0x11)));
      }, 20);
      this.#abort = new AbortController();
      return { ended: resourceEnded(this.#mediaUrl, location, this.#abort.signal).finally(() => { clearInterval(vt); clearInterval(at); }) };
    } catch (err) {
      await pc.close().catch(() => undefined);
      throw err;
    }
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#abort.abort();
    await this.#pc?.close().catch(() => undefined);
  }
}

