/**
 * One viewer of a show: a werift RTCPeerConnection used for ICE, DTLS and
 * RTCP only. Media bypasses werift's sender (which parses, copies and
 * re-encrypts each packet with fresh ciphers): the viewer puts its rewritten
 * header fields into the show's FanoutBatch, sent natively for all viewers
 * at once, or (no addon, GCM, replays, retransmissions) writes header and
 * payload into its SRTP work buffer, encrypts it with SrtpEncryptor and
 * sends it on its MediaSocket. Video SSRC, sequence numbers, timestamps and
 * VP8 picture ids are rewritten so a layer switch (on a keyframe) looks like
 * one stream.
 */
import { randomBytes } from 'node:crypto';
import {
  RTCPeerConnection, RtcpSrPacket, RtcpRrPacket, ReceiverEstimatedMaxBitrate,
  RtcpPayloadSpecificFeedback, RtcpTransportLayerFeedback, PictureLossIndication, GenericNack, TransportWideCC,
  type RTCDtlsTransport, type RtcpPacket, type RTCRtpTransceiver, type RtpPacket,
} from 'werift';
import { TypedEmitter } from '../emitter.ts';
import type { CloseReason, LayerPreference } from '../engine.ts';
import { SfuError } from '../errors.ts';
import { writeVp8PictureId } from '../rtp/codec.ts';
import { absSendTime, transportCc, type FanoutBatch } from '../rtp/FanoutBatch.ts';
import { readRtcpFeedback, type RtcpFeedbackHandler } from '../rtp/rtcpFeedback.ts';
import { writeSenderReport } from '../rtp/senderReport.ts';
import { rawRtcp } from '../rtp/TwccFeedback.ts';
import { SendSideEstimator } from '../rtp/SendSideEstimator.ts';
import { RETRANSMIT_SHARE, RetransmitBudget } from '../rtp/RetransmitBudget.ts';
import { Prober } from '../rtp/Prober.ts';
import { HEADROOM, SrtpEncryptor } from '../rtp/SrtpEncryptor.ts';
import { srtpSend } from '../native/srtpSend.ts';
import { accelerateSrtp } from './nativeSrtp.ts';
import { viewerConfig, type NetworkOptions } from './peerConfig.ts';
import { MediaSocket, type IceConnection } from './MediaSocket.ts';
import { checkOffer, createLocalAnswer, finishAnswer } from './sdp.ts';

const HISTORY = 1024;
const TWCC_URI = 'http://www.ietf.org/id/draft-holmer-rmcat-transport-wide-cc-extensions-01';
/** The send-side estimate before any feedback: a viewer starts on the layer this supports (all of them, today). */
const INITIAL_ESTIMATE = 2_500_000;
/** SRTP auth tag and IP/UDP overhead per packet, counted in what the estimator sees. */
const WIRE_OVERHEAD = 10 + 28;
const CTR_PROFILE = 0x0001;
const GCM_PROFILE = 0x0007;

/** What the show computed once about a video packet, shared by all viewers. */
export interface VideoPacketInfo {
  layer: number;
  packet: RtpPacket;
  keyframe: boolean;
  /** VP8 picture id offset in the payload (-1 none), 15-bit or 7-bit, and its value. */
  pidOffset: number;
  pidLong: boolean;
  /** performance.now() when the packet arrived (the wall time its RTP timestamp maps to). */
  receivedAt: number;
  pid: number;
}

export interface WeriftViewerOptions {
  showId: string;
  network: NetworkOptions;
  video: { mimeType: string; parameters?: string };
  preference: LayerPreference;
  connectTimeoutMs: number;
}

export class WeriftViewer {
  readonly id = randomBytes(16).toString('hex');
  readonly showId: string;
  readonly events = new TypedEmitter<{
    connected: [];
    keyframeneeded: [layer: number];
    /** The send-side estimator has just seen the path overused: layer choice need not wait for its tick. */
    congested: [];
    nack: [seqs: number[]];
    close: [CloseReason];
  }>();
  preference: LayerPreference;
  /** Layer we want to forward (chosen by the show from preference, estimates and what is active). */
  target = -1;
  /** Layer being forwarded now; -1 until the first keyframe. */
  current = -1;
  /** Last REMB from the viewer, bps (Infinity when it sends none). */
  remb = Infinity;
  /** Fraction lost from the viewer's last receiver report, 0..1. */
  fractionLost = 0;
  packetsSent = 0;
  bytesSent = 0;
  nacksAnswered = 0;
  retransmittedBytes = 0;
  /** Send-side estimator when the viewer gives transport-wide-cc feedback, else undefined (REMB). */
  bwe: SendSideEstimator | undefined;
  readonly retransmits = new RetransmitBudget();
  /** What we sent over the last second, bps. */
  sendRateBps = 0;
  keyframeRequests = 0;
  readonly connectedAt: { ms: number } = { ms: 0 };
  readonly createdAt = performance.now();

  readonly #pc: RTCPeerConnection;
  readonly #options: WeriftViewerOptions;
  #audio: RTCRtpTransceiver | undefined;
  #video: RTCRtpTransceiver | undefined;
  #enc: SrtpEncryptor | undefined;
  #socket: MediaSocket | undefined;
  #closed = false;
  #connected = false;
  #timers: NodeJS.Timeout[] = [];
  /** Native SRTCP session for our sender reports (we then own their SRTCP index), if the addon is built. */
  #srtcp: object | undefined;
  #srtcpIndex = 0;
  readonly #report = Buffer.alloc(2 * 28 + 4 + 10);

  // Output stream state.
  #videoSsrc = 0;
  #audioSsrc = 0;
  #videoPt = 96;
  #audioPt = 111;
  #absId = 0;
  #twccId = 0;
  #bytesAtRate = 0;
  #refusedAt = -Infinity;
  #keyframeForRefusalAt = -Infinity;
  /** Middle 32 bits of our last video sender report's NTP time (receiver reports echo them for RTT). */
  #lastSrMid = 0;
  readonly #prober: Prober;
  #seqOffset = 0;
  #tsOffset = 0;
  #pidOffset = 0;
  #lastOutSeq = 0;
  #lastOutTs = 0;
  #lastOutPid = 0;
  #lastOutWall = 0;
  #lastSrcSeq = -1;
  /** Probe padding went out after this source sequence number (-1: none since the last switch), shifting the offset from this. */
  #padAfterSrc = -1;
  #offsetBeforePad = 0;
  /** Until then (or the switch), the current layer is not forwarded: see drainUntilSwitch. */
  #drainUntil = 0;
  #started = false;
  #audioSeqOffset = 0;
  #audioStarted = false;
  #lastAudioTs = 0;
  #lastAudioWall = 0;
  #videoPackets = 0;
  #videoOctets = 0;
  #audioPackets = 0;
  #audioOctets = 0;
  // NACK history: output seq -> (layer, source seq, offsets at send time).
  readonly #histOut = new Int32Array(HISTORY).fill(-1);
  readonly #histSrc = new Int32Array(HISTORY);
  readonly #histTs = new Uint32Array(HISTORY);
  readonly #histPid = new Int32Array(HISTORY);
  readonly #histSentAt = new Float64Array(HISTORY);
  /** Looks a source packet up in the show's cache for retransmission. */
  lookup: ((layer: number, seq: number) => RtpPacket | undefined) | undefined;

  constructor(options: WeriftViewerOptions) {
    this.showId = options.showId;
    this.preference = options.preference;
    this.#options = options;
    this.#pc = new RTCPeerConnection(viewerConfig(options.network, options.video));
    this.#prober = new Prober((bytes) => this.#sendProbe(bytes));
  }

  /** The bandwidth estimate layer choice uses, bps: send-side when available, else REMB (Infinity: none yet). */
  get estimate(): number {
    return this.bwe ? this.bwe.estimate : this.remb;
  }

  /** The path looks overused now (transport-cc delay or loss, or NACKs refused over budget in the last second). */
  get congested(): boolean {
    return (this.bwe?.congested ?? false) || performance.now() - this.#refusedAt < 1000;
  }

  /**
   * Stops forwarding the current layer until the switch to the lower target
   * (at most `ms`): on a congested link its frames arrive broken anyway, and
   * the queue they fill would hold back the lower layer's keyframe.
   */
  drainUntilSwitch(ms = 2000): void {
    if (this.target >= 0 && this.target < this.current) this.#drainUntil = performance.now() + ms;
  }

  /** Probes are sent in the background; see rtp/Prober.ts. */
  get prober(): Prober { return this.#prober; }

  get connected(): boolean { return this.#connected; }
  get closed(): boolean { return this.#closed; }

  async answer(offerSdp: string): Promise<string> {
    const offer = checkOffer(offerSdp, 'view');
    const pc = this.#pc;
    try {
      await pc.setRemoteDescription({ type: 'offer', sdp: offer });
    } catch (cause) {
      throw new SfuError('SFU_BAD_SDP', 'the SDP offer could not be applied', { cause });
    }
    for (const t of pc.getTransceivers()) {
      if (t.kind === 'audio' && !this.#audio) this.#audio = t;
      else if (t.kind === 'video' && !this.#video) this.#video = t;
      t.setDirection('sendonly');
    }
    if (!this.#video && !this.#audio) throw new SfuError('SFU_BAD_SDP', 'the offer receives no audio or video');
    const answer = await createLocalAnswer(pc);
    if (this.#video && this.#video.codecs.length === 0) {
      throw new SfuError('SFU_BAD_SDP', `the viewer does not support ${this.#options.video.mimeType}`);
    }
    // Our SRTP fast path implements AES-CM fastest: offer only that profile in DTLS.
    for (const dtls of pc.dtlsTransports) (dtls as unknown as { srtpProfiles: number[] }).srtpProfiles = [CTR_PROFILE];
    this.#videoSsrc = this.#video?.sender.ssrc ?? 0;
    this.#audioSsrc = this.#audio?.sender.ssrc ?? 0;
    this.#videoPt = this.#video?.codecs[0]?.payloadType ?? 96;
    this.#audioPt = this.#audio?.codecs[0]?.payloadType ?? 111;
    this.#absId = this.#video?.headerExtensions.find((e) => e.uri.endsWith('abs-send-time'))?.id ?? 0;
    this.#twccId = this.#video?.headerExtensions.find((e) => e.uri === TWCC_URI)?.id ?? 0;
    if (this.#twccId > 14) this.#twccId = 0;
    // With transport-cc the browser sends feedback instead of REMB, and the estimate is ours to make.
    if (this.#twccId) this.bwe = new SendSideEstimator(INITIAL_ESTIMATE);
    // RTCP is read off the transport: werift's router may hand a viewer's PLI to a receiver.
    for (const dtls of pc.dtlsTransports) dtls.onRtcp.subscribe((p) => this.#onRtcp(p));
    pc.connectionStateChange.subscribe((state) => {
      if (state === 'connected' && !this.#connected) this.#onConnected();
      else if (state === 'failed' || state === 'closed') void this.close('disconnected');
    });
    const timer = setTimeout(() => { if (!this.#connected) void this.close('disconnected'); }, this.#options.connectTimeoutMs);
    timer.unref();
    this.#timers.push(timer);
    return finishAnswer(answer, this.#options.network);
  }

  #onConnected(): void {
    const dtls = this.#pc.dtlsTransports[0];
    const d = dtls as unknown as {
      srtp?: { localContext?: { srtpSessionKey: Buffer; srtpSessionSalt: Buffer; srtpSessionAuthTag: Buffer; profile: number } };
    };
    const ctx = d.srtp?.localContext;
    if (!dtls || !ctx) { void this.close('disconnected'); return; }
    this.#enc = ctx.profile === GCM_PROFILE
      ? new SrtpEncryptor('gcm', ctx.srtpSessionKey, ctx.srtpSessionSalt)
      : new SrtpEncryptor('ctr', ctx.srtpSessionKey, ctx.srtpSessionSalt, ctx.srtpSessionAuthTag);
    // Connect the media socket now, not on the first packet: the first packets are the joining keyframe.
    this.#socket = new MediaSocket((dtls.iceTransport as unknown as { connection: IceConnection }).connection);
    const rtcp = accelerateSrtp(dtls);
    this.#srtcp = rtcp?.outbound;
    if (rtcp) this.#socket.interceptRtcp((datagram) => this.#readRtcp(rtcp.inbound, datagram));
    this.#connected = true;
    this.connectedAt.ms = performance.now();
    const sr = setInterval(() => { this.#measureSendRate(); this.#sendSenderReports(dtls); }, 1000);
    sr.unref();
    this.#timers.push(sr);
    this.events.emit('connected');
  }

  /** The connected socket the native path sends on, or -1 (no addon, GCM session, still connecting). */
  #nativeFd(): number {
    return this.#enc!.sessionId < 0 ? -1 : this.#socket!.fd;
  }

  /** Protects and sends the RTP packet written at the encryptor's HEADROOM. */
  #transmit(length: number, headerLength: number): void {
    const enc = this.#enc!;
    const fd = this.#nativeFd();
    // A failed native send (full socket buffer, viewer gone) drops the packet, as the network would.
    if (fd >= 0) enc.protectAndSend(length, headerLength, fd);
    else this.#socket!.send(enc.protect(length, headerLength));
  }

  /** Switches to `layer` now: called by the show on a keyframe of that layer. */
  #switchTo(info: VideoPacketInfo): void {
    const h = info.packet.header;
    const now = performance.now();
    if (!this.#started) {
      this.#seqOffset = (randomBytes(2).readUInt16BE(0) - h.sequenceNumber) & 0xffff;
      this.#tsOffset = (randomBytes(4).readUInt32BE(0) - h.timestamp) >>> 0;
      this.#pidOffset = info.pidOffset >= 0 ? (randomBytes(2).readUInt16BE(0) - info.pid) & 0x7fff : 0;
      this.#started = true;
    } else {
      this.#seqOffset = (this.#lastOutSeq + 1 - h.sequenceNumber) & 0xffff;
      const elapsed = Math.max(1, Math.round((now - this.#lastOutWall) * 90));
      this.#tsOffset = (this.#lastOutTs + elapsed - h.timestamp) >>> 0;
      if (info.pidOffset >= 0) this.#pidOffset = (this.#lastOutPid + 1 - info.pid) & 0x7fff;
    }
    this.current = info.layer;
    this.#lastSrcSeq = h.sequenceNumber;
    this.#padAfterSrc = -1;
    this.#drainUntil = 0;
  }

  /**
   * Forwards one video packet if it belongs to what this viewer watches:
   * into `batch` when the native path can take it (0 is returned: the
   * batch's flush counts it), else sent now (1).
   */
  forwardVideo(info: VideoPacketInfo, batch?: FanoutBatch): number {
    if (!this.#connected || this.#closed) return 0;
    const layer = info.layer;
    if (layer !== this.current) {
      if (layer !== this.target || !info.keyframe) return 0;
      this.#switchTo(info);
    } else if (this.#drainUntil > info.receivedAt) {
      return 0;
    }
    const packet = info.packet;
    const h = packet.header;
    const d = (h.sequenceNumber - this.#lastSrcSeq) & 0xffff;
    let seqOffset = this.#seqOffset;
    if (d >= 0x8000 && d !== 0) {
      // Older than the last forwarded packet: fine within the layer, but never from before a switch.
      if (((this.#lastSrcSeq - h.sequenceNumber) & 0xffff) > 512) return 0;
      // From before probe padding that took sequence numbers: the offset it would have had.
      if (this.#padAfterSrc >= 0 && ((this.#padAfterSrc - h.sequenceNumber) & 0xffff) < 0x8000) seqOffset = this.#offsetBeforePad;
    } else {
      this.#lastSrcSeq = h.sequenceNumber;
    }
    const payload = packet.payload;
    if (payload.length === 0) {
      // Padding-only (bandwidth probes): drop it and close the sequence gap it would leave.
      if (d > 0 && d < 0x8000) this.#seqOffset = (this.#seqOffset - 1) & 0xffff;
      return 0;
    }
    const outSeq = (h.sequenceNumber + seqOffset) & 0xffff;
    const outTs = (h.timestamp + this.#tsOffset) >>> 0;
    if (d > 0 && d < 0x8000) {
      this.#lastOutSeq = outSeq;
      this.#lastOutTs = outTs;
      this.#lastOutWall = info.receivedAt;
    }
    const slot = outSeq & (HISTORY - 1);
    const fd = batch ? this.#nativeFd() : -1;
    // The show stamps each source packet just before its fan-out; a replay or a single send is now.
    const now = fd >= 0 ? info.receivedAt : performance.now();
    this.#histOut[slot] = outSeq;
    this.#histSrc[slot] = (layer << 16) | h.sequenceNumber;
    this.#histTs[slot] = this.#tsOffset;
    this.#histPid[slot] = this.#pidOffset;
    this.#histSentAt[slot] = now;
    if (fd < 0) {
      this.#emitVideo(packet, outSeq, outTs, info.pidOffset, info.pidLong, info.pid, this.#pidOffset);
      return 1;
    }
    const enc = this.#enc!;
    const ssrc = this.#videoSsrc;
    const pid = (info.pid + this.#pidOffset) & (info.pidLong ? 0x7fff : 0x7f);
    const headerLength = this.#absId || this.#twccId ? 20 : 12;
    // Transport-cc replaces abs-send-time (packed as fanout.c reads it): its feedback is what we estimate from.
    const ext = this.bwe ? transportCc(this.#twccId, this.bwe.sent(headerLength + payload.length + WIRE_OVERHEAD, now)) : this.#absId;
    batch!.add(enc.sessionId, fd, (h.marker ? 0x80 : 0) | this.#videoPt, outSeq, outTs, ssrc, enc.rocFor(ssrc, outSeq), pid, ext);
    this.#countVideo(headerLength, payload.length, info.pidOffset, info.pid, this.#pidOffset);
    return 0;
  }

  /** Stream accounting for a video packet sent (SR counts, picture id continuity). */
  #countVideo(headerLength: number, payloadLength: number, pidAt: number, pid: number, pidOffset: number): void {
    if (pidAt >= 0) {
      const outPid = (pid + pidOffset) & 0x7fff;
      if (((outPid - this.#lastOutPid) & 0x7fff) < 0x4000) this.#lastOutPid = outPid;
    }
    this.packetsSent++;
    this.bytesSent += headerLength + payloadLength;
    this.#videoPackets++;
    this.#videoOctets += payloadLength;
  }

  /** Sends one video packet now on the single-packet path; returns its bytes on the wire. */
  #emitVideo(packet: RtpPacket, outSeq: number, outTs: number, pidAt: number, pidLong: boolean, pid: number, pidOffset: number): number {
    const enc = this.#enc!;
    const buf = enc.buffer;
    const payload = packet.payload;
    let o = HEADROOM;
    const abs = this.bwe ? 0 : this.#absId;
    buf[o] = abs || this.bwe ? 0x90 : 0x80;
    buf[o + 1] = (packet.header.marker ? 0x80 : 0) | this.#videoPt;
    buf[o + 2] = outSeq >>> 8;
    buf[o + 3] = outSeq & 0xff;
    buf.writeUInt32BE(outTs, o + 4);
    buf.writeUInt32BE(this.#videoSsrc, o + 8);
    o += 12;
    if (abs) {
      buf[o] = 0xbe; buf[o + 1] = 0xde; buf[o + 2] = 0; buf[o + 3] = 1;
      const v = absSendTime();
      buf[o + 4] = (abs << 4) | 2;
      buf[o + 5] = v >>> 16; buf[o + 6] = (v >>> 8) & 0xff; buf[o + 7] = v & 0xff;
      o += 8;
    } else if (this.bwe) {
      const seq = this.bwe.sent(20 + payload.length + WIRE_OVERHEAD, performance.now());
      buf[o] = 0xbe; buf[o + 1] = 0xde; buf[o + 2] = 0; buf[o + 3] = 1;
      buf[o + 4] = (this.#twccId << 4) | 1;
      buf[o + 5] = seq >>> 8; buf[o + 6] = seq & 0xff; buf[o + 7] = 0;
      o += 8;
    }
    const headerLength = o - HEADROOM;
    payload.copy(buf, o);
    if (pidAt >= 0) writeVp8PictureId(buf, o + pidAt, pidLong, (pid + pidOffset) & (pidLong ? 0x7fff : 0x7f));
    this.#transmit(headerLength + payload.length, headerLength);
    this.#countVideo(headerLength, payload.length, pidAt, pid, pidOffset);
    return headerLength + payload.length + WIRE_OVERHEAD;
  }

  /** Forwards one audio packet: into `batch` (0) when the native path can take it, else now (1 when sent). */
  forwardAudio(packet: RtpPacket, receivedAt: number, batch?: FanoutBatch): number {
    if (!this.#connected || this.#closed || !this.#audioSsrc) return 0;
    const h = packet.header;
    if (!this.#audioStarted) {
      this.#audioSeqOffset = (randomBytes(2).readUInt16BE(0) - h.sequenceNumber) & 0xffff;
      this.#audioStarted = true;
    }
    const payload = packet.payload;
    if (payload.length === 0) return 0;
    const enc = this.#enc!;
    this.#lastAudioTs = h.timestamp >>> 0;
    this.#lastAudioWall = receivedAt;
    this.packetsSent++;
    this.bytesSent += 12 + payload.length;
    this.#audioPackets++;
    this.#audioOctets += payload.length;
    const seq = (h.sequenceNumber + this.#audioSeqOffset) & 0xffff;
    const fd = batch ? this.#nativeFd() : -1;
    if (fd >= 0) {
      const ssrc = this.#audioSsrc;
      batch!.add(enc.sessionId, fd, (h.marker ? 0x80 : 0) | this.#audioPt, seq, h.timestamp >>> 0, ssrc, enc.rocFor(ssrc, seq), 0, 0);
      return 0;
    }
    const buf = enc.buffer;
    const o = HEADROOM;
    buf[o] = 0x80;
    buf[o + 1] = (h.marker ? 0x80 : 0) | this.#audioPt;
    buf[o + 2] = seq >>> 8;
    buf[o + 3] = seq & 0xff;
    buf.writeUInt32BE(h.timestamp >>> 0, o + 4);
    buf.writeUInt32BE(this.#audioSsrc, o + 8);
    payload.copy(buf, o + 12);
    this.#transmit(12 + payload.length, 12);
    return 1;
  }

  #retransmit(seqs: number[]): void {
    if (!this.#connected || !this.lookup) return;
    const now = performance.now();
    // A share of the estimate; before any estimate, of what we send.
    const budgetBps = RETRANSMIT_SHARE * Math.min(this.estimate, Math.max(this.sendRateBps, 300_000) * 2);
    const overBudgetBefore = this.retransmits.refusedBudget;
    for (const outSeq of seqs) {
      const slot = outSeq & (HISTORY - 1);
      if (this.#histOut[slot] !== outSeq) continue;
      const src = this.#histSrc[slot]!;
      const packet = this.lookup(src >>> 16, src & 0xffff);
      if (!packet) continue;
      if (!this.retransmits.allow(outSeq, this.#histSentAt[slot]!, packet.payload.length + 20 + WIRE_OVERHEAD, budgetBps, now)) continue;
      this.retransmittedBytes += this.#resend(packet, slot, outSeq);
      this.nacksAnswered++;
    }
    if (this.retransmits.refusedBudget > overBudgetBefore) {
      this.#refusedAt = now;
      // Past the budget a fresh keyframe repairs the picture for less than the retransmissions would.
      if (now - this.#keyframeForRefusalAt > 1000 && this.current >= 0) {
        this.#keyframeForRefusalAt = now;
        this.events.emit('keyframeneeded', this.current);
      }
    }
  }

  /** Sends the packet kept at history `slot` again with its original header fields; returns its bytes. */
  #resend(packet: RtpPacket, slot: number, outSeq: number): number {
    const outTs = (packet.header.timestamp + this.#histTs[slot]!) >>> 0;
    // VP8 picture id: recompute from the payload we cached (same offsets as when first sent).
    const p = packet.payload;
    let pidAt = -1;
    let long = false;
    let pid = 0;
    if (p.length > 2 && p[0]! & 0x80 && p[1]! & 0x80) {
      pidAt = 2;
      long = (p[2]! & 0x80) !== 0;
      pid = long ? ((p[2]! & 0x7f) << 8) | p[3]! : p[2]! & 0x7f;
    }
    const lastPid = this.#lastOutPid;
    const bytes = this.#emitVideo(packet, outSeq, outTs, pidAt, long, pid, this.#histPid[slot]!);
    this.#lastOutPid = lastPid;
    return bytes;
  }

  /**
   * A probe's padding: padding-only packets (RFC 3550 5.1) continuing the
   * video stream's sequence numbers, so the browser counts them in its
   * transport-cc feedback and then discards them. (A duplicate of a media
   * packet would be dropped by its SRTP replay check before feedback.)
   */
  #sendProbe(bytes: number): number {
    const bwe = this.bwe;
    if (!this.#connected || !this.#started || !bwe || this.#closed) return 0;
    const enc = this.#enc!;
    const buf = enc.buffer;
    const pad = 255;
    const length = 20 + pad;
    let sent = 0;
    for (let n = 0; sent < bytes && n < 16; n++) {
      if (this.#padAfterSrc !== this.#lastSrcSeq) {
        this.#padAfterSrc = this.#lastSrcSeq;
        this.#offsetBeforePad = this.#seqOffset;
      }
      const seq = (this.#lastOutSeq + 1) & 0xffff;
      this.#seqOffset = (this.#seqOffset + 1) & 0xffff;
      this.#lastOutSeq = seq;
      this.#histOut[seq & (HISTORY - 1)] = -1; // nothing to retransmit for it
      const o = HEADROOM;
      buf[o] = 0xb0; // version 2, padding, extension
      buf[o + 1] = this.#videoPt;
      buf[o + 2] = seq >>> 8;
      buf[o + 3] = seq & 0xff;
      buf.writeUInt32BE(this.#lastOutTs, o + 4);
      buf.writeUInt32BE(this.#videoSsrc, o + 8);
      const tseq = bwe.sent(length + WIRE_OVERHEAD, performance.now());
      buf[o + 12] = 0xbe; buf[o + 13] = 0xde; buf[o + 14] = 0; buf[o + 15] = 1;
      buf[o + 16] = (this.#twccId << 4) | 1; buf[o + 17] = tseq >>> 8; buf[o + 18] = tseq & 0xff; buf[o + 19] = 0;
      buf.fill(0, o + 20, o + length - 1);
      buf[o + length - 1] = pad;
      this.#transmit(length, 20);
      this.packetsSent++;
      this.bytesSent += length;
      this.#videoPackets++;
      sent += length + WIRE_OVERHEAD;
    }
    return sent;
  }

  #measureSendRate(): void {
    this.sendRateBps = (this.bytesSent - this.#bytesAtRate) * 8;
    this.#bytesAtRate = this.bytesSent;
  }

  /** What the viewer's RTCP tells us, read natively (rtp/rtcpFeedback.ts) or by werift (#onRtcp). */
  readonly #feedback: RtcpFeedbackHandler = {
    report: (ssrc, fractionLost, lastSr, delay) => {
      if (ssrc !== this.#videoSsrc) return;
      this.fractionLost = fractionLost / 256;
      if (lastSr !== 0 && lastSr === this.#lastSrMid) {
        const rtt = (((ntpMiddle(performance.timeOrigin + performance.now()) - lastSr - delay) >>> 0) / 65536) * 1000;
        if (rtt < 5000) this.retransmits.rttMs = Math.max(5, rtt);
      }
    },
    remb: (bitrate) => { this.remb = bitrate; },
    keyframe: (ssrc) => { if (ssrc === this.#videoSsrc) this.#keyframeRequested(); },
    nack: (ssrc, seqs) => { if (ssrc === this.#videoSsrc) this.#retransmit(seqs); },
    transportFeedback: (b, offset, end) => {
      const bwe = this.bwe;
      if (!bwe) return;
      const now = performance.now();
      const wasCongested = bwe.congested;
      bwe.feedback(b, offset, end, now);
      this.#prober.feedback(bwe, now);
      if (bwe.congested && !wasCongested) this.events.emit('congested');
    },
  };

  /** An inbound SRTCP datagram: authenticated and decrypted in place, then read. Werift never sees it. */
  #readRtcp(session: object, datagram: Buffer): boolean {
    // A datagram that does not authenticate is dropped, as werift drops it.
    if (!this.#closed && srtpSend!.unprotectRtcp(session, datagram, 0, datagram.length)) {
      readRtcpFeedback(datagram, datagram.length - 14, this.#feedback);
    }
    return true;
  }

  #keyframeRequested(): void {
    this.keyframeRequests++;
    if (this.current >= 0) this.events.emit('keyframeneeded', this.current);
  }

  #onRtcp(p: RtcpPacket): void {
    if (this.#closed) return;
    const feedback = this.#feedback;
    if (p instanceof RtcpRrPacket || p instanceof RtcpSrPacket) {
      for (const r of p.reports) feedback.report(r.ssrc, r.fractionLost, r.lsr, r.dlsr);
    } else if (p instanceof RtcpPayloadSpecificFeedback) {
      const fb = p.feedback;
      if (fb instanceof ReceiverEstimatedMaxBitrate) feedback.remb(Number(fb.bitrate));
      else if (fb instanceof PictureLossIndication) feedback.keyframe(fb.mediaSsrc);
      else this.#keyframeRequested(); // FIR
    } else if (p instanceof RtcpTransportLayerFeedback && p.feedback instanceof GenericNack) {
      feedback.nack(p.feedback.mediaSourceSsrc, p.feedback.lost);
    } else if (p instanceof RtcpTransportLayerFeedback && p.feedback instanceof TransportWideCC) {
      const raw = p.serialize();
      feedback.transportFeedback(raw, 0, raw.length);
    }
  }

  #sendSenderReports(dtls: RTCDtlsTransport): void {
    if (!this.#connected) return;
    const now = performance.now();
    const video = this.#started && this.#videoSsrc !== 0;
    const audio = this.#audioStarted && this.#audioSsrc !== 0;
    if (!video && !audio) return;
    const videoTs = (this.#lastOutTs + Math.round((now - this.#lastOutWall) * 90)) >>> 0;
    const audioTs = (this.#lastAudioTs + Math.round((now - this.#lastAudioWall) * 48)) >>> 0;
    const b = this.#report;
    const wall = performance.timeOrigin + now;
    if (video) this.#lastSrMid = ntpMiddle(wall);
    let o = 0;
    if (video) o = writeSenderReport(b, o, this.#videoSsrc, wall, videoTs, this.#videoPackets, this.#videoOctets);
    if (audio) o = writeSenderReport(b, o, this.#audioSsrc, wall, audioTs, this.#audioPackets, this.#audioOctets);
    if (this.#srtcp) {
      // Only this path sends RTCP with our SSRCs, so the SRTCP index is ours alone to count.
      const fd = this.#nativeFd();
      if (fd < 0) return;
      this.#srtcpIndex = (this.#srtcpIndex + 1) & 0x7fffffff;
      srtpSend!.protectRtcp(this.#srtcp, b, 0, o, this.#srtcpIndex, fd);
    } else {
      dtls.sendRtcp([rawRtcp(b.subarray(0, o)) as never]).catch(() => {});
    }
  }

  /** Idempotent. */
  async close(reason: CloseReason): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#connected = false;
    for (const t of this.#timers) clearTimeout(t);
    this.#prober.close();
    this.#socket?.close();
    this.lookup = undefined;
    this.events.emit('close', reason);
    this.events.removeAllListeners();
    await this.#pc.close().catch(() => {});
  }
}

/** The middle 32 bits of the NTP time for `wallMs` (as sender reports carry it and receiver reports echo it). */
function ntpMiddle(wallMs: number): number {
  const seconds = (Math.floor(wallMs / 1000) + 2208988800) >>> 0;
  const fraction = Math.floor(((wallMs % 1000) / 1000) * 2 ** 32) >>> 0;
  return (((seconds & 0xffff) << 16) | (fraction >>> 16)) >>> 0;
}
