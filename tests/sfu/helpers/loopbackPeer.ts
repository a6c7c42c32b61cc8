import { RTCPeerConnection, RTCRtpCodecParameters } from 'werift';

/**
 * A werift peer that gathers on loopback only, with the SFU's opus/111 and VP8/96 and no header extensions:
 * the test publishers' and load viewers' common ground.
 */
export function loopbackPeer(): RTCPeerConnection {
  return new RTCPeerConnection({
    iceAdditionalHostAddresses: ['127.0.0.1'],
    iceInterfaceAddresses: { udp4: '127.0.0.1' } as never,
    iceUseIpv6: false,
    codecs: {
      audio: [new RTCRtpCodecParameters({ mimeType: 'audio/opus', clockRate: 48000, channels: 2, payloadType: 111 })],
      video: [new RTCRtpCodecParameters({ mimeType: 'video/VP8', clockRate: 90000, payloadType: 96 })],
    },
    headerExtensions: { audio: [], video: [] },
  });
}
