/**
 * SDP checks before werift sees an offer (werift throws deep inside on some
 * garbage, and some garbage it accepts), and answer post-processing.
 */
import { SfuError } from '../errors.ts';
import type { RTCPeerConnection } from 'werift';
import type { NetworkOptions } from './peerConfig.ts';

export const MAX_SDP_BYTES = 64 * 1024;

/** Returns the offer with normalized line endings; throws SFU_BAD_SDP. */
export function checkOffer(sdp: string, purpose: 'publish' | 'view'): string {
  if (typeof sdp !== 'string' || sdp.length === 0) throw new SfuError('SFU_BAD_SDP', 'empty SDP offer');
  if (sdp.length > MAX_SDP_BYTES) throw new SfuError('SFU_BAD_SDP', 'SDP offer too large');
  const lines = sdp.split(/\r?\n/).filter((l) => l !== '');
  if (lines[0] !== 'v=0') throw new SfuError('SFU_BAD_SDP', 'SDP must start with v=0');
  if (!lines.some((l) => l.startsWith('o='))) throw new SfuError('SFU_BAD_SDP', 'SDP has no o= line');
  for (const l of lines) {
    if (!/^[a-z]=/.test(l)) throw new SfuError('SFU_BAD_SDP', 'malformed SDP line');
  }
  const media = lines.filter((l) => l.startsWith('m='));
  const av = media.filter((l) => /^m=(audio|video) \d+ [A-Z/]+ [\d ]+$/.test(l));
  if (av.length === 0) throw new SfuError('SFU_BAD_SDP', 'SDP offer has no audio or video section');
  if (!lines.some((l) => l.startsWith('a=ice-ufrag:'))) throw new SfuError('SFU_BAD_SDP', 'SDP offer has no ICE credentials');
  if (!lines.some((l) => l.startsWith('a=fingerprint:'))) throw new SfuError('SFU_BAD_SDP', 'SDP offer has no DTLS fingerprint');
  const directions = lines.filter((l) => /^a=(sendonly|recvonly|sendrecv|inactive)$/.test(l)).map((l) => l.slice(2));
  if (purpose === 'publish' && directions.length > 0 && !directions.some((d) => d === 'sendonly' || d === 'sendrecv')) {
    throw new SfuError('SFU_BAD_SDP', 'a WHIP offer must send media');
  }
  if (purpose === 'view' && directions.some((d) => d === 'sendonly')) {
    throw new SfuError('SFU_BAD_SDP', 'a WHEP offer must only receive media');
  }
  return lines.join('\r\n') + '\r\n';
}

/** Rewrites host candidates to the announced address when one is configured. */
export function finishAnswer(answer: string, network: NetworkOptions): string {
  if (!answer.startsWith('v=0')) throw new SfuError('SFU_INTERNAL', 'no SDP answer was produced');
  const { announcedIp, listenIp } = network;
  if (!announcedIp || announcedIp === listenIp) return answer;
  return answer.replace(/^(a=candidate:\S+ \d+ \S+ \d+ )(\S+)( \d+ typ host)/gm, (_m, a: string, _ip: string, b: string) => `${a}${announcedIp}${b}`);
}

/** Answers the applied offer; a failure is the offer's fault, so it is SFU_BAD_SDP. */
export async function createLocalAnswer(pc: RTCPeerConnection): Promise<string> {
  try {
    await pc.setLocalDescription(await pc.createAnswer());
    return pc.localDescription?.sdp ?? '';
  } catch (cause) {
    throw new SfuError('SFU_BAD_SDP', 'no answer could be made for this offer', { cause });
  }
}
