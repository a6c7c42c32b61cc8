/**
 * The receiving side of a relay: a show source (werift/ShowSource.ts) fed by
 * a RelayFeed on another worker or SFU host. It `connect()`s a UDP socket to
 * the feed (so only the feed's datagrams reach it), says HELLO once a second,
 * turns the feed's RTP back into per-layer video and audio for its show, and
 * sends the show's aggregated keyframe requests upstream, where the origin
 * aggregates them again with its own viewers' before one PLI reaches the
 * publisher. It closes on the feed's BYE (the show ended: `show-ended` for
 * its viewers) or when the feed is silent for PEER_TIMEOUT_MS.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { RtpPacket } from 'werift';
import { TypedEmitter } from '../emitter.ts';
import type { CloseReason, RelayAttach, RelayOffer } from '../engine.ts';
import { SfuError } from '../errors.ts';
import { codecOf, type VideoCodec } from '../rtp/codec.ts';
import { LayerMeter, type LayerState } from '../werift/LayerMeter.ts';
import type { ShowSource } from '../werift/ShowSource.ts';
import type { PublisherSink } from '../werift/WeriftPublisher.ts';
import {
  controlDatagram, HELLO_EVERY_MS, PEER_TIMEOUT_MS, readControl, RELAY_PT_AUDIO, RELAY_PT_VIDEO, RelayControl, SESSION_BYTES,
} from './wire.ts';

export interface RelaySourceOptions extends RelayAttach {
  /** How long to wait for the feed's first ACK, ms. */
  startTimeoutMs?: number;
}

const SESSION_HEX = /^[0-9a-f]{32}$/;

/** Checks an offer that crossed a process or host boundary. */
export function checkRelayOffer(value: unknown): RelayOffer {
  const v = value as { port?: unknown; sessionId?: unknown; video?: { mimeType?: unknown; parameters?: unknown } } | null;
  const ok = v && typeof v === 'object' &&
    Number.isInteger(v.port) && (v.port as number) > 0 && (v.port as number) < 65536 &&
    typeof v.sessionId === 'string' && SESSION_HEX.test(v.sessionId) &&
    v.video && typeof v.video.mimeType === 'string' && /^video\/[A-Za-z0-9.+-]{1,32}$/.test(v.video.mimeType) &&
    (v.video.parameters === undefined || (typeof v.video.parameters === 'string' && v.video.parameters.length <= 512));
  if (!ok) throw new SfuError('SFU_UNAVAILABLE', 'the origin answered the relay request with something else than a relay offer');
  return {
    port: v.port as number,
    sessionId: v.sessionId as string,
    video: { mimeType: v.video!.mimeType as string, ...(typeof v.video!.parameters === 'string' ? { parameters: v.video!.parameters } : {}) },
  };
}

export class RelaySource implements ShowSource {
  readonly id = randomBytes(16).toString('hex');
  readonly events = new TypedEmitter<{ close: [CloseReason] }>();
  sink: PublisherSink | undefined;
  readonly videoCodec: VideoCodec;
  readonly videoMime: string;
  readonly videoFmtp: string | undefined;
  readonly #meter = new LayerMeter();
  readonly #socket: Socket;
  readonly #session: Buffer;
  readonly #timers: NodeJS.Timeout[] = [];
  #lastHeardAt = performance.now();
  #closed = false;
  /** Media packets received from the feed. */
  packetsReceived = 0;

  private constructor(socket: Socket, options: RelaySourceOptions) {
    this.#socket = socket;
    this.#session = Buffer.from(options.sessionId, 'hex');
    this.videoMime = options.video.mimeType;
    this.videoFmtp = options.video.parameters;
    this.videoCodec = codecOf(options.video.mimeType);
  }

  /** Connects to the feed and waits for its first ACK; throws SFU_UNAVAILABLE when it does not answer. */
  static async connect(options: RelaySourceOptions): Promise<RelaySource> {
    const socket = createSocket({ type: isIPv6(options.host) ? 'udp6' : 'udp4' });
    const source = new RelaySource(socket, options);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.connect(options.port, options.host, () => resolve());
      });
    } catch (cause) {
      socket.close();
      throw new SfuError('SFU_UNAVAILABLE', 'the relay feed is unreachable', { cause });
    }
    socket.removeAllListeners('error');
    // A feed starts with its cached picture groups: a burst the default buffer would drop.
    try { socket.setRecvBufferSize(4 * 1024 * 1024); } catch { /* capped by the kernel */ }
    await source.#start(options.startTimeoutMs ?? 3000);
    return source;
  }

  #start(timeoutMs: number): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      let started = false;
      const fail = setTimeout(() => {
        void this.close('disconnected');
        reject(new SfuError('SFU_UNAVAILABLE', 'the relay feed did not answer'));
      }, timeoutMs);
      this.#socket.on('error', () => { void this.close('disconnected'); });
      this.#socket.on('message', (datagram) => {
        if (this.#closed) return;
        if (datagram.length >= 12 && datagram[0]! >= 128 && datagram[0]! < 192) { this.#onMedia(datagram); return; }
        const type = readControl(datagram, this.#session);
        if (type === RelayControl.Ack) {
          this.#lastHeardAt = performance.now();
          if (!started) { started = true; clearTimeout(fail); resolve(); }
        } else if (type === RelayControl.Bye) {
          void this.close('show-ended', false);
        }
      });
      const hello = () => this.#send(controlDatagram(RelayControl.Hello, this.#session));
      hello();
      const every = setInterval(() => {
        hello();
        this.#meter.updateBitrates();
        if (performance.now() - this.#lastHeardAt > PEER_TIMEOUT_MS) void this.close('disconnected');
      }, HELLO_EVERY_MS);
      // Until the first ACK, HELLO again soon: one lost datagram must not cost a second.
      const early = setInterval(() => { if (!started) hello(); else clearInterval(early); }, 100);
      for (const t of [every, early, fail]) { t.unref(); this.#timers.push(t); }
    });
  }

  #onMedia(datagram: Buffer): void {
    this.#lastHeardAt = performance.now();
    this.packetsReceived++;
    const pt = datagram[1]! & 0x7f;
    const packet = RtpPacket.deSerialize(datagram);
    if (pt === RELAY_PT_AUDIO) {
      this.#meter.audio(packet.payload.length);
      this.sink?.audio(packet);
    } else if (pt >= RELAY_PT_VIDEO && pt <= RELAY_PT_VIDEO + 2) {
      const layer = pt - RELAY_PT_VIDEO;
      const key = this.#meter.video(layer, packet, this.videoCodec);
      this.sink?.video(layer, packet, key);
    }
  }

  #send(datagram: Buffer): void {
    if (this.#closed) return;
    try { this.#socket.send(datagram); } catch { /* closing */ }
  }

  get layers(): (LayerState | undefined)[] { return this.#meter.layers; }
  get audioBitrate(): number { return this.#meter.audioBitrate; }
  get closed(): boolean { return this.#closed; }

  activeLayers(windowMs = 1500): boolean[] {
    return this.#meter.activeLayers(windowMs);
  }

  requestKeyframe(layer: number): void {
    this.#send(controlDatagram(RelayControl.Keyframe, this.#session, [layer]));
  }

  /** Idempotent: says BYE to the feed (unless it said BYE first) and frees the socket. */
  async close(reason: CloseReason, tellFeed = true): Promise<void> {
    if (this.#closed) return;
    if (tellFeed) this.#send(controlDatagram(RelayControl.Bye, this.#session));
    this.#closed = true;
    for (const t of this.#timers) clearInterval(t);
    this.sink = undefined;
    setTimeout(() => { try { this.#socket.close(); } catch { /* closed */ } }, 50).unref();
    this.events.emit('close', reason);
    this.events.removeAllListeners();
  }
}
