/**
 * A WHEP viewer built on werift, for load and fan-out tests: receives audio
 * and video, counts packets, notes when the first full video frame (a VP8
 * keyframe through its marker packet) arrived, and can send PLIs.
 */
import {
  GenericNack, RTCPeerConnection, RTCRtpCodecParameters, RtcpSrPacket, RtcpTransportLayerFeedback, useNACK, usePLI, useREMB,
  useTransportWideCC, useTWCC,
  type RTCRtpTransceiver,
} from 'werift';
import { isVp8Keyframe } from '../../../sfu/rtp/codec.ts';

export interface WeriftViewerClient {
  readonly location: string;
  /** The SDP answer the SFU gave. */
  readonly answer: string;
  /** ms from the start of `joinWhep` to the first complete video keyframe; undefined until then. */
  firstFrameMs(): number | undefined;
  /** ms from the start of `joinWhep` to ICE+DTLS connected; undefined until then. */
  connectedMs(): number | undefined;
  videoPackets(): number;
  audioPackets(): number;
  keyframes(): number;
  /** Sequence-number gaps seen on audio and video (packets that never arrived). */
  lostPackets(): number;
  /** The last sender report received (and authenticated) per SSRC. */
  senderReports(): { ssrc: number; packetCount: number; octetCount: number; ntpMs: number }[];
  /** Sends a PLI for the video stream. */
  requestKeyframe(): Promise<void>;
  /** Sends a generic NACK for these video sequence numbers. */
  sendNack(seqs: number[]): Promise<void>;
  /** The last video sequence number received (-1 before any). */
  lastVideoSeq(): number;
  /** How many times a video packet with this sequence number arrived. */
  timesReceived(seq: number): number;
  close(): Promise<void>;
}

export interface JoinOptions {
  endpoint: string;
  token: string;
  layer?: 'auto' | 'high' | 'medium' | 'low';
  /** Local address to gather on (default 127.0.0.1). */
  listenIp?: string;
  /** Offer transport-wide-cc (werift then sends transport-cc feedback) instead of REMB only. */
  transportCc?: boolean;
}

/** Joins over WHEP; a 503 with Retry-After (the worker at its join budget) is retried after that delay, as client/lib/whip.ts does. */
export async function joinWhep(options: JoinOptions, attempt = 1): Promise<WeriftViewerClient> {
  const started = performance.now();
  const pc = new RTCPeerConnection({
    iceAdditionalHostAddresses: [options.listenIp ?? '127.0.0.1'],
    iceInterfaceAddresses: { udp4: options.listenIp ?? '127.0.0.1' } as never,
    iceUseIpv6: false,
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 })],
      video: [new RTCRtpCodecParameters({
        mimeType: 'video/VP8', clockRate: 90000, payloadType: 96,
        rtcpFeedback: [useNACK(), usePLI(), useREMB(), ...(options.transportCc ? [useTWCC()] : [])],
      })],
    },
    headerExtensions: { audio: [], video: options.transportCc ? [useTransportWideCC()] : [] },
  });
  let video = 0;
  let audio = 0;
  let keyframes = 0;
  let inKeyframe = false;
  let firstFrame: number | undefined;
  let videoSsrc = 0;
  let lost = 0;
  const last = { audio: -1, video: -1 };
  const gap = (kind: 'audio' | 'video', seq: number) => {
    const prev = last[kind];
    if (prev >= 0) {
      const d = (seq - prev) & 0xffff;
      if (d === 0 || d >= 0x8000) return; // duplicate or late (retransmission)
      lost += d - 1;
    }
    last[kind] = seq;
  };
  let connected: number | undefined;
  pc.connectionStateChange.subscribe((state) => { if (state === 'connected') connected ??= performance.now() - started; });
  const audioT = pc.addTransceiver('audio', { direction: 'recvonly' });
  const videoT: RTCRtpTransceiver = pc.addTransceiver('video', { direction: 'recvonly' });
  audioT.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((p) => { audio++; gap('audio', p.header.sequenceNumber); }));
  const seqCount = new Uint16Array(65536);
  videoT.onTrack.subscribe((track) => track.onReceiveRtp.subscribe((p) => {
    video++;
    seqCount[p.header.sequenceNumber] = seqCount[p.header.sequenceNumber]! + 1;
    videoSsrc = p.header.ssrc;
    gap('video', p.header.sequenceNumber);
    if (isVp8Keyframe(p.payload)) { inKeyframe = true; keyframes++; }
    if (inKeyframe && p.header.marker) {
      inKeyframe = false;
      firstFrame ??= performance.now() - started;
    }
  }));
  await pc.setLocalDescription(await pc.createOffer());
  const url = options.endpoint + (options.layer ? `?layer=${options.layer}` : '');
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${options.token}` },
    body: pc.localDescription!.sdp,
  });
  if (res.status !== 201) {
    await pc.close();
    const retryAfter = res.status === 503 ? Number(res.headers.get('Retry-After')) || 0 : 0;
    if (retryAfter > 0 && attempt < 6) {
      await res.text();
      await new Promise((r) => setTimeout(r, retryAfter * 1000));
      return joinWhep(options, attempt + 1);
    }
    throw new Error(`WHEP POST ${res.status}: ${await res.text()}`);
  }
  const location = res.headers.get('Location') ?? '';
  const answer = await res.text();
  await pc.setRemoteDescription({ type: 'answer', sdp: answer });
  const reports = new Map<number, { ssrc: number; packetCount: number; octetCount: number; ntpMs: number }>();
  for (const dtls of pc.dtlsTransports) {
    dtls.onRtcp.subscribe((p) => {
      if (!(p instanceof RtcpSrPacket)) return;
      const ntp = p.senderInfo.ntpTimestamp;
      const ntpMs = Number(ntp >> 32n) * 1000 - 2208988800000 + (Number(ntp & 0xffffffffn) / 2 ** 32) * 1000;
      reports.set(p.ssrc, { ssrc: p.ssrc, packetCount: p.senderInfo.packetCount, octetCount: p.senderInfo.octetCount, ntpMs });
    });
  }
  const base = new URL(options.endpoint);
  return {
    location,
    answer,
    firstFrameMs: () => firstFrame,
    connectedMs: () => connected,
    videoPackets: () => video,
    audioPackets: () => audio,
    keyframes: () => keyframes,
    lostPackets: () => lost,
    senderReports: () => [...reports.values()],
    async requestKeyframe() {
      if (videoSsrc) await videoT.receiver.sendRtcpPLI(videoSsrc);
    },
    async sendNack(seqs) {
      const feedback = new GenericNack({ senderSsrc: videoT.receiver.rtcpSsrc, mediaSourceSsrc: videoSsrc, lost: seqs });
      await videoT.dtlsTransport.sendRtcp([new RtcpTransportLayerFeedback({ feedback })]);
    },
    lastVideoSeq: () => last.video,
    timesReceived: (seq) => seqCount[seq & 0xffff]!,
    async close() {
      await fetch(new URL(location, base), { method: 'DELETE', headers: { Authorization: `Bearer ${options.token}` } }).catch(() => {});
      await pc.close().catch(() => {});
    },
  };
}
