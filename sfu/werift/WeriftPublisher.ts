/**
 * One publisher (the model's browser or OBS) of one show: a werift
 * RTCPeerConnection that receives Opus and up to three simulcast video
 * layers, answers with transport-cc and REMB feedback so the browser's
 * bandwidth estimate climbs, and hands every packet to its show.
 */
import { randomBytes } from 'node:crypto';
import { RTCPeerConnection, type MediaStreamTrack, type RtpPacket, type RTCRtpTransceiver } from 'werift';
import { TypedEmitter } from '../emitter.ts';
import type { CloseReason, SimulcastLayer } from '../engine.ts';
import { SfuError } from '../errors.ts';
import { codecOf, type VideoCodec } from '../rtp/codec.ts';
import { buildRemb, nowMicros, rawRtcp, TwccFeedback } from '../rtp/TwccFeedback.ts';
import { LayerMeter, type LayerState } from './LayerMeter.ts';
import { accelerateSrtp } from './nativeSrtp.ts';
import { publisherConfig, type NetworkOptions } from './peerConfig.ts';
import { finishAnswer, checkOffer, createLocalAnswer } from './sdp.ts';

/** Layer indexes: 0 low, 1 medium, 2 high. */
export type { LayerState } from './LayerMeter.ts';

export const LAYER_NAMES: readonly SimulcastLayer[] = ['low', 'medium', 'high'];

/** Maps the rids browsers and OBS use to a layer index. */
export function layerOfRid(rid: string | undefined): number | undefined {
  if (rid === undefined || rid === '') return undefined;
  const r = rid.toLowerCase();
  if (['h', 'f', 'hi', 'high', 'full', '2'].includes(r)) return 2;
  if (['m', 'mid', 'medium', 'half', '1'].includes(r)) return 1;
  if (['l', 'q', 'lo', 'low', 'quarter', '0'].includes(r)) return 0;
  return undefined;
}

/** Per-packet hooks set by the show (direct calls: no emitter on the hot path). */
export interface PublisherSink {
  video(layer: number, packet: RtpPacket, keyframe: boolean): void;
  audio(packet: RtpPacket): void;
}

export interface WeriftPublisherOptions {
  showId: string;
  network: NetworkOptions;
  /** Bitrate the SFU lets the publisher reach (REMB cap), bps. */
  maxBitrate: number;
  /** How long a publisher may take to connect before it is dropped. */
  connectTimeoutMs: number;
}

export class WeriftPublisher {
  readonly id = randomBytes(16).toString('hex');
  readonly showId: string;
  readonly events = new TypedEmitter<{ connected: []; close: [CloseReason] }>();
  readonly #meter = new LayerMeter();
  sink: PublisherSink | undefined;
  videoCodec: VideoCodec = 'other';
  videoMime = 'video/VP8';
  videoFmtp: string | undefined;
  readonly #pc: RTCPeerConnection;
  readonly #options: WeriftPublisherOptions;
  readonly #tracks = new Set<MediaStreamTrack>();
  #videoTransceiver: RTCRtpTransceiver | undefined;
  #twcc: TwccFeedback | undefined;
  #timers: NodeJS.Timeout[] = [];
  #connected = false;
  #closed = false;
  #simulcast = false;
  #audioSsrc = 0;

  constructor(options: WeriftPublisherOptions) {
    this.showId = options.showId;
    this.#options = options;
    this.#pc = new RTCPeerConnection(publisherConfig(options.network));
  }

  get connected(): boolean { return this.#connected; }
  get closed(): boolean { return this.#closed; }
  get simulcast(): boolean { return this.#simulcast; }
  get layers(): (LayerState | undefined)[] { return this.#meter.layers; }
  get audioBitrate(): number { return this.#meter.audioBitrate; }

  /** Applies the offer, returns the SDP answer (ICE gathered: WHIP has no trickle from us). */
  async answer(offerSdp: string): Promise<string> {
    const offer = checkOffer(offerSdp, 'publish');
    this.#simulcast = /a=simulcast:send/i.test(offer);
    const pc = this.#pc;
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    } catch (cause) {
      throw new SfuError('SFU_BAD_SDP', 'the SDP offer could not be applied', { cause });
    }
    const transceivers = pc.getTransceivers();
    const video = transceivers.find((t) => t.kind === 'video');
    const audio = transceivers.find((t) => t.kind === 'audio');
    if (!video && !audio) throw new SfuError('SFU_BAD_SDP', 'the offer has no audio or video to publish');
    this.#videoTransceiver = video;
    this.#twcc = new TwccFeedback(video?.receiver.rtcpSsrc ?? audio!.receiver.rtcpSsrc);
    for (const t of transceivers) this.#hookReceiver(t);
    pc.onTrack.subscribe((track) => this.#hookTrack(track));
    for (const t of transceivers) for (const track of t.receiver.tracks) this.#hookTrack(track);
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected' && !this.#connected) {
        this.#connected = true;
        this.#startFeedback();
        this.events.emit('connected');
      } else if (state === 'failed' || state === 'closed') {
        void this.close('disconnected');
      }
    });
    const answer = await createLocalAnswer(pc);
    const negotiated = video?.codecs[0];
    if (negotiated) {
      this.videoMime = negotiated.mimeType;
      this.videoFmtp = negotiated.parameters;
      this.videoCodec = codecOf(negotiated.mimeType);
    }
    const timer = setTimeout(() => { if (!this.#connected) void this.close('disconnected'); }, this.#options.connectTimeoutMs);
    timer.unref();
    this.#timers.push(timer);
    return finishAnswer(answer, this.#options.network);
  }

  #hookReceiver(t: RTCRtpTransceiver): void {
    const twcc = this.#twcc!;
    // Replace werift's transport-cc generator with ours (see TwccFeedback).
    const receiver = t.receiver as unknown as { receiverTWCC?: unknown; rtcpSsrc: number };
    receiver.receiverTWCC = {
      twccRunning: false,
      handleTWCC: (seq: number | undefined) => {
        // Chromium only accepts feedback whose media SSRC is one of its own.
        if (typeof seq === 'number') twcc.record(seq, this.#mediaSsrc(), nowMicros());
      },
    };
  }

  #hookTrack(track: MediaStreamTrack): void {
    if (this.#tracks.has(track)) return;
    this.#tracks.add(track);
    if (track.kind === 'audio') {
      track.onReceiveRtp.subscribe((packet) => {
        this.#meter.audio(packet.payload.length);
        this.#audioSsrc = packet.header.ssrc;
        this.sink?.audio(packet);
      });
      return;
    }
    const fixed = layerOfRid(track.rid);
    track.onReceiveRtp.subscribe((packet) => {
      const layer = fixed ?? (track.rid === undefined || track.rid === '' ? 2 : this.#layerForUnknownRid(track));
      this.#onVideo(layer, packet);
    });
  }

  readonly #unknownRids = new Map<MediaStreamTrack, number>();
  #mediaSsrc(): number {
    for (const l of this.layers) if (l) return l.ssrc;
    return this.#audioSsrc;
  }

  #layerForUnknownRid(track: MediaStreamTrack): number {
    let l = this.#unknownRids.get(track);
    if (l === undefined) {
      l = Math.max(0, 2 - this.#unknownRids.size);
      this.#unknownRids.set(track, l);
    }
    return l;
  }

  #onVideo(layer: number, packet: RtpPacket): void {
    const key = this.#meter.video(layer, packet, this.videoCodec);
    this.sink?.video(layer, packet, key);
  }

  /** Layers that sent media within the last `windowMs`. */
  activeLayers(windowMs = 1500): boolean[] {
    return this.#meter.activeLayers(windowMs);
  }

  /** Sends a PLI for a layer. */
  requestKeyframe(layer: number): void {
    const s = this.layers[layer];
    const t = this.#videoTransceiver;
    if (!s || !t || this.#closed) return;
    t.receiver.sendRtcpPLI(s.ssrc).catch(() => { /* transport closing */ });
  }

  #startFeedback(): void {
    const dtls = this.#pc.dtlsTransports[0];
    if (!dtls) return;
    accelerateSrtp(dtls);
    const twcc = this.#twcc!;
    const feedback = setInterval(() => {
      const pkt = twcc.build();
      if (pkt) dtls.sendRtcp([rawRtcp(pkt) as never]).catch(() => {});
    }, 50);
    const remb = setInterval(() => {
      const ssrcs = this.layers.filter((l): l is LayerState => l !== undefined).map((l) => l.ssrc);
      if (ssrcs.length === 0) return;
      const sender = this.#videoTransceiver?.receiver.rtcpSsrc ?? 1;
      dtls.sendRtcp([rawRtcp(buildRemb(sender, this.#options.maxBitrate, ssrcs)) as never]).catch(() => {});
    }, 1000);
    const window = setInterval(() => {
      this.#meter.updateBitrates();
      if (process.env.SFU_DEBUG) console.error(`twcc received=${twcc.reportedReceived} lost=${twcc.reportedLost}`);
    }, 1000);
    for (const t of [feedback, remb, window]) { t.unref(); this.#timers.push(t); }
  }

  /** Idempotent. */
  async close(reason: CloseReason): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const t of this.#timers) clearTimeout(t);
    this.sink = undefined;
    this.events.emit('close', reason);
    this.events.removeAllListeners();
    await this.#pc.close().catch(() => {});
  }
}
