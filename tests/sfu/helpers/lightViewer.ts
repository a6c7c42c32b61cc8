/**
 * The lightest WHEP viewer that is still a real one: a werift peer that does
 * the WHEP exchange, ICE and the DTLS handshake, then stops decrypting and
 * only counts the SRTP packets that reach it (ICE consent keeps running). It
 * costs the load generator a UDP read per packet, so one process can hold
 * the many viewers a join storm needs; tests/sfu/helpers/weriftViewer.ts is
 * the full one that decodes.
 */
import { loopbackPeer } from './loopbackPeer.ts';

export interface LightViewer {
  /** The WHEP answer's status: 201 admitted, 503 refused, ... */
  readonly status: number;
  /** On a refusal, the JSON error code and `Retry-After` seconds. */
  readonly code: string | undefined;
  readonly retryAfter: number | undefined;
  /** Resolves true once ICE + DTLS connected (false when refused or failed). */
  readonly connected: Promise<boolean>;
  /** SRTP packets (RTP, not RTCP) received since connecting. */
  packets(): number;
  close(): Promise<void>;
}

export async function joinLight(endpoint: string, token: string, connectTimeoutMs = 20_000): Promise<LightViewer> {
  const pc = loopbackPeer();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const res = await fetch(endpoint, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` },
    body: pc.localDescription!.sdp,
  }).catch(() => undefined);
  if (!res || res.status !== 201) {
    await pc.close();
    let code: string | undefined;
    const status = res?.status ?? 0;
    const retryAfter = res?.headers.get('retry-after') ? Number(res.headers.get('retry-after')) : undefined;
    if (res) code = ((await res.json().catch(() => ({}))) as { error?: { code?: string } }).error?.code;
    return { status, code, retryAfter, connected: Promise.resolve(false), packets: () => 0, close: async () => {} };
  }
  const location = new URL(res.headers.get('location')!, endpoint).href;
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  let count = 0;
  const connected = new Promise<boolean>((resolve) => {
    const timer = setTimeout(() => resolve(false), connectTimeoutMs);
    const check = (state: string) => {
      if (state === 'connected') {
        clearTimeout(timer);
        // From here on only count: no SRTP decryption, no RTP parsing, no jitter buffers.
        const connection = pc.dtlsTransports[0]!.iceTransport.connection as unknown as { onData: { execute: (data: Buffer) => void } };
        connection.onData.execute = (data: Buffer) => {
          const b0 = data[0]!;
          const pt = data[1]! & 0x7f;
          if (b0 >= 128 && b0 <= 191 && !(pt >= 64 && pt <= 95)) count++;
        };
        resolve(true);
      } else if (state === 'failed' || state === 'closed') {
        clearTimeout(timer);
        resolve(false);
      }
    };
    pc.connectionStateChange.subscribe(check);
    check(pc.connectionState);
  });
  return {
    status: 201,
    code: undefined,
    retryAfter: undefined,
    connected,
    packets: () => count,
    close: async () => {
      await fetch(location, { method: 'DELETE', headers: { Authorization: `Bearer ${token}` } }).catch(() => undefined);
      await pc.close().catch(() => undefined);
    },
  };
}
