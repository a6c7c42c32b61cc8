/**
 * The soak's public show: a werift WHIP publisher driven by a model's signaling session, and werift WHEP viewers
 * (tests/sfu/helpers/weriftViewer.ts) driven by clients' sessions, with chat. Both follow the SFU's server-sent
 * events (`reconnect` when their worker died) and a watchdog, and come back as a real client does: a fresh token
 * from signaling (`show:open`, `show:watch`), then a new POST. Each viewer records its longest freeze (time
 * between two video packets while it is watching) and how long each reconnect took.
 */
import { MediaStreamTrack, RTCPeerConnection, RTCRtpCodecParameters, RtpHeader, RtpPacket } from 'werift';
import { joinWhep, type WeriftViewerClient } from '../../sfu/helpers/weriftViewer.ts';
import type { Session } from '../../../client/services/session.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Resolves when the resource's server-sent event stream says reconnect/closed or ends; never rejects. */
function resourceEnded(base: string, location: string, signal: AbortSignal): Promise<string> {
  return (async () => {
    try {
      const res = await fetch(new URL(`${location}/events`, base), { signal });
      if (!res.ok || !res.body) return `events ${res.status}`;
      const reader = res.body.getReader();
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'events stream ended';
        text += new TextDecoder().decode(value);
        const m = /event: (reconnect|closed)/.exec(text);
        if (m) { void reader.cancel().catch(() => undefined); return m[1]!; }
      }
    } catch {
      return signal.aborted ? 'aborted' : 'events failed';
    }
  })();
}

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

/** A viewer: watches the show over WHEP from the media node, chats over its own signaling session. */
export class SoakViewer {
  readonly #session: Session;
  readonly #mediaUrl: string;
  readonly #model: string;
  #closed = false;
  #viewer: WeriftViewerClient | null = null;
  #abort = new AbortController();
  #poll: ReturnType<typeof setInterval> | undefined;
  #lastCount = 0;
  #lastPacketAt = 0;
  #joinedAt = 0;
  /** Longest time between two video packets while watching (ms), including reconnects. */
  longestFreezeMs = 0;
  /** ms from the last packet before a lost media session to the first packet after it. */
  readonly reconnectsMs: number[] = [];
  #lostAt = 0;
  rejoins = 0;
  chatSent = 0;
  chatReceived = 0;
  showId = '';

  constructor(session: Session, mediaUrl: string, model: string) {
    this.#session = session;
    this.#mediaUrl = mediaUrl;
    this.#model = model;
    session.listen('chat:message', () => { this.chatReceived++; });
  }

  async start(): Promise<void> {
    const { ended } = await this.#join();
    // Freezes count from the first packet on.
    const first = Date.now() + 20_000;
    while (this.#count() === 0 && Date.now() < first) await sleep(25);
    this.#lastPacketAt = Date.now();
    this.#poll = setInterval(() => this.#tick(), 25);
    void this.#loop(ended);
  }

  #count(): number { return this.#viewer?.videoPackets() ?? 0; }

  #tick(): void {
    const n = this.#count();
    const now = Date.now();
    if (n !== this.#lastCount) {
      if (n > this.#lastCount) {
        this.longestFreezeMs = Math.max(this.longestFreezeMs, now - this.#lastPacketAt);
        if (this.#lostAt) { this.reconnectsMs.push(now - this.#lostAt); this.#lostAt = 0; }
        this.#lastPacketAt = now;
      }
      this.#lastCount = n;
    }
  }

  async #loop(ended: Promise<string>): Promise<void> {
    while (!this.#closed) {
      // The watchdog: a media session that stays silent 3 s is as good as lost.
      const why = await Promise.race([ended, this.#silent(3_000).then(() => 'silent 3 s')]);
      if (this.#closed) return;
      if (process.env.SOAK_VERBOSE === '1') console.error(`[viewer] media lost: ${why}`);
      this.#abort.abort();
      this.#lostAt = this.#lastPacketAt;
      const old = this.#viewer;
      this.#viewer = null;
      this.#lastCount = 0;
      await old?.close().catch(() => undefined);
      for (;;) {
        if (this.#closed) return;
        try {
          ({ ended } = await this.#join());
          this.rejoins++;
          break;
        } catch (err) {
          if (process.env.SOAK_VERBOSE === '1') console.error(`[viewer] rejoin failed: ${(err as Error).message}`);
          await sleep(250);
        }
      }
    }
  }

  async #silent(ms: number): Promise<void> {
    while (!this.#closed && Date.now() - Math.max(this.#lastPacketAt, this.#joinedAt) < ms) await sleep(100);
  }

  async #join(): Promise<{ ended: Promise<string> }> {
    const w = await this.#session.request('show:watch', { model: this.#model });
    this.showId = w.showId;
    const endpoint = new URL(w.whepUrl, this.#mediaUrl).toString();
    const viewer = await joinWhep({ endpoint, token: w.whepToken });
    this.#viewer = viewer;
    this.#joinedAt = Date.now();
    this.#abort = new AbortController();
    return { ended: resourceEnded(this.#mediaUrl, viewer.location, this.#abort.signal) };
  }

  /** One chat line (errors while signaling is away are expected and not counted as sent). */
  async chat(text: string): Promise<void> {
    if (!this.showId) return;
    try {
      await this.#session.request('chat:send', { showId: this.showId, text });
      this.chatSent++;
    } catch { /* signaling away or rate-limited */ }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    this.#abort.abort();
    await this.#viewer?.close().catch(() => undefined);
  }
}
