/**
 * The origin's side of one relay: a show's media (every simulcast layer and
 * audio), sent once to one other worker or SFU host that serves its own
 * viewers from it (relay/RelaySource.ts). The feed binds a UDP socket and
 * waits for the source's HELLO carrying the session id it was handed (over
 * authenticated HTTP or worker IPC); it then `connect()`s to that address,
 * so the kernel drops datagrams from anyone else, and forwards every packet
 * as plain RTP (relay/wire.ts). KEYFRAME requests from the source go to the
 * show's keyframe aggregation, as a viewer's PLI does. The feed ends when the
 * source says BYE or is silent for PEER_TIMEOUT_MS, or when the show ends.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import type { RtpPacket } from 'werift';
import { TypedEmitter } from '../emitter.ts';
import { SfuError } from '../errors.ts';
import {
  controlDatagram, mediaDatagram, PEER_TIMEOUT_MS, readControl, RELAY_PT_AUDIO, RELAY_PT_VIDEO, RelayControl, SESSION_BYTES,
} from './wire.ts';

export interface RelayFeedOptions {
  /** Address to bind the feed's UDP socket on (127.0.0.1 between workers; the host's address between hosts). */
  bindIp: string;
}

export class RelayFeed {
  readonly events = new TypedEmitter<{
    /** The source said its first HELLO: media flows from now (the show replays its cached keyframes first). */
    start: [];
    keyframe: [layer: number];
    close: [];
  }>();
  readonly #session = randomBytes(SESSION_BYTES);
  readonly #socket: Socket;
  #streaming = false;
  #latched = false;
  #closed = false;
  #lastHelloAt = performance.now();
  readonly #timer: NodeJS.Timeout;
  /** Media datagrams and their bytes sent to the source. */
  packetsSent = 0;
  bytesSent = 0;

  private constructor(socket: Socket) {
    this.#socket = socket;
    socket.on('message', (datagram, from) => this.#onDatagram(datagram, from.address, from.port));
    socket.on('error', () => { void this.close(); });
    this.#timer = setInterval(() => {
      if (performance.now() - this.#lastHelloAt > PEER_TIMEOUT_MS) void this.close();
    }, 1000);
    this.#timer.unref();
  }

  static async open(options: RelayFeedOptions): Promise<RelayFeed> {
    const socket = createSocket({ type: isIPv6(options.bindIp) ? 'udp6' : 'udp4' });
    await new Promise<void>((resolve, reject) => {
      socket.once('error', (cause) => reject(new SfuError('SFU_UNAVAILABLE', 'could not bind the relay socket', { cause })));
      socket.bind(0, options.bindIp, () => resolve());
    });
    socket.removeAllListeners('error');
    try { socket.setSendBufferSize(4 * 1024 * 1024); } catch { /* capped by the kernel: the default still works */ }
    return new RelayFeed(socket);
  }

  /** The session id the source must quote, hex. */
  get sessionId(): string { return this.#session.toString('hex'); }
  get port(): number { return this.#socket.address().port; }
  get closed(): boolean { return this.#closed; }

  #onDatagram(datagram: Buffer, address: string, port: number): void {
    if (this.#closed) return;
    const type = readControl(datagram, this.#session);
    if (type === undefined) return;
    if (type === RelayControl.Hello) {
      this.#lastHelloAt = performance.now();
      if (!this.#latched) {
        // The first HELLO names the source: from now on the socket talks to it alone.
        this.#latched = true;
        this.#socket.connect(port, address, () => {
          if (this.#closed) return;
          this.#streaming = true;
          this.#send(controlDatagram(RelayControl.Ack, this.#session));
          this.events.emit('start');
        });
      } else if (this.#streaming) {
        this.#send(controlDatagram(RelayControl.Ack, this.#session));
      }
    } else if (type === RelayControl.Keyframe && datagram.length > 1 + SESSION_BYTES) {
      const layer = datagram[1 + SESSION_BYTES]!;
      if (layer <= 2) this.events.emit('keyframe', layer);
    } else if (type === RelayControl.Bye) {
      void this.close(false);
    }
  }

  #send(datagram: Buffer): void {
    try { this.#socket.send(datagram); } catch { /* closing */ }
  }

  video(layer: number, packet: RtpPacket): void {
    if (!this.#streaming) return;
    const h = packet.header;
    const d = mediaDatagram(RELAY_PT_VIDEO + layer, h.marker, h.sequenceNumber, h.timestamp, h.ssrc, packet.payload);
    this.packetsSent++;
    this.bytesSent += d.length;
    this.#send(d);
  }

  audio(packet: RtpPacket): void {
    if (!this.#streaming) return;
    const h = packet.header;
    const d = mediaDatagram(RELAY_PT_AUDIO, h.marker, h.sequenceNumber, h.timestamp, h.ssrc, packet.payload);
    this.packetsSent++;
    this.bytesSent += d.length;
    this.#send(d);
  }

  /** Idempotent: tells the source (BYE) unless it said BYE itself, and frees the socket. */
  async close(tellSource = true): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    if (tellSource && this.#streaming) {
      await new Promise<void>((resolve) => {
        try { this.#socket.send(controlDatagram(RelayControl.Bye, this.#session), () => resolve()); } catch { resolve(); }
      });
    }
    this.#streaming = false;
    this.#socket.close();
    this.events.emit('close');
    this.events.removeAllListeners();
  }
}
