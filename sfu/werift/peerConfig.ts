/**
 * werift RTCPeerConnection settings for publishers (ingest) and viewers
 * (egress). Only what we forward is negotiated: Opus, and VP8 or H.264 for
 * video. No RTX: retransmissions go on the media SSRC from our own cache.
 */
import { isIPv4 } from 'node:net';
import {
  RTCRtpCodecParameters,
  RTCRtpHeaderExtensionParameters,
  type PeerConfig,
  useAbsSendTime,
  useNACK,
  usePLI,
  useREMB,
  useSdesMid,
  useSdesRTPStreamId,
  useRepairedRtpStreamId,
  useTransportWideCC,
  useTWCC,
} from 'werift';

export interface NetworkOptions {
  /** Address to gather host candidates on (e.g. 127.0.0.1 outside a loopback-only namespace). */
  listenIp?: string;
  /** Address announced in ICE candidates instead of the listen address (NAT, docker). */
  announcedIp?: string;
  /** UDP port range for ICE. */
  rtcPortRange?: [number, number];
  /** STUN/TURN servers werift may use to gather candidates. */
  iceServers?: { urls: string | string[]; username?: string; credential?: string }[];
}

const OPUS = () => new RTCRtpCodecParameters({
  mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111,
  parameters: 'minptime=10;useinbandfec=1', rtcpFeedback: [useTWCC()],
});

const VP8 = (fb: ReturnType<typeof useNACK>[]) => new RTCRtpCodecParameters({
  mimeType: 'video/VP8', clockRate: 90000, payloadType: 96, rtcpFeedback: fb,
});

const H264 = (fb: ReturnType<typeof useNACK>[], parameters?: string) => new RTCRtpCodecParameters({
  mimeType: 'video/H264', clockRate: 90000, payloadType: 102, rtcpFeedback: fb,
  parameters: parameters ?? 'level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f',
});

function network(options: NetworkOptions): Partial<PeerConfig> {
  const config: Partial<PeerConfig> = {
    // ICE-lite, as SFUs are (mediasoup, LiveKit): the browser runs the checks and
    // consent freshness, we answer. Per viewer that saves a STUN consent request
    // every few seconds (a third of the worker's STUN traffic) and our checks.
    iceLite: true,
    iceUseIpv6: false,
    iceServers: options.iceServers ?? [],
  };
  // A wildcard listen address means "every interface": werift's default gathering.
  const listenIp = options.listenIp === 'localhost' ? '127.0.0.1' : options.listenIp;
  if (listenIp && isIPv4(listenIp) && listenIp !== '0.0.0.0') {
    config.iceAdditionalHostAddresses = [listenIp];
    config.iceInterfaceAddresses = { udp4: listenIp } as PeerConfig['iceInterfaceAddresses'];
  }
  if (options.rtcPortRange) config.icePortRange = options.rtcPortRange;
  return config;
}

/** Ingest: Opus + VP8/H.264, simulcast rids, transport-cc and REMB feedback we generate. */
export function publisherConfig(options: NetworkOptions): Partial<PeerConfig> {
  const fb = [useNACK(), usePLI(), useREMB(), useTWCC()];
  return {
    ...network(options),
    codecs: { audio: [OPUS()], video: [VP8(fb), H264(fb)] },
    headerExtensions: {
      audio: [useSdesMid(), useTransportWideCC()],
      video: [useSdesMid(), useSdesRTPStreamId(), useRepairedRtpStreamId(), useTransportWideCC()],
    },
  };
}

/**
 * Egress: exactly the publisher's video codec; transport-wide-cc for our
 * send-side estimate, with abs-send-time and REMB kept for a viewer that
 * does not offer transport-cc.
 */
export function viewerConfig(
  options: NetworkOptions,
  video: { mimeType: string; parameters?: string },
): Partial<PeerConfig> {
  const fb = [useNACK(), usePLI(), useREMB(), useTWCC()];
  const codec = video.mimeType.toLowerCase() === 'video/h264' ? H264(fb, video.parameters) : VP8(fb);
  const audio = OPUS();
  audio.rtcpFeedback = [];
  return {
    ...network(options),
    codecs: { audio: [audio], video: [codec] },
    headerExtensions: {
      audio: [],
      video: [useAbsSendTime(), useTransportWideCC()],
    },
  };
}

export { RTCRtpHeaderExtensionParameters };
