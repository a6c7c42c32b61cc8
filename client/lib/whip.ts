/**
 * WHIP (RFC 9725) and WHEP clients: one HTTP POST with the SDP offer, the
 * answer in the 201 body, the session resource in `Location`, DELETE to end.
 *
 * ICE is gathered before the POST (no trickle): on the networks a cam model
 * uses this costs tens of milliseconds and saves a PATCH round-trip per
 * candidate, and it is what OBS does too.
 */
export class WhipError extends Error {
  /** Stable code from the server's JSON error, or a client-side one. */
  readonly code: string;
  /** HTTP status, 0 when the request did not reach the server. */
  readonly status: number;
  /** Seconds the server asked to wait before retrying (`Retry-After` of a 503), else undefined. */
  readonly retryAfterSeconds: number | undefined;
  constructor(code: string, message: string, status: number, retryAfterSeconds?: number) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryAfterSeconds = retryAfterSeconds;
    this.name = 'WhipError';
  }
}

/** One live WHIP or WHEP session. */
export interface WhipSession {
  /** The peer connection carrying the media. */
  readonly pc: RTCPeerConnection;
  /** Absolute URL of the session resource on the server. */
  readonly resourceUrl: string;
  /** Ends the session on the server and closes the connection; safe to call twice. */
  stop(): Promise<void>;
}

/** Three simulcast layers, high to low; the SFU picks one per viewer. */
export const SIMULCAST_LAYERS: RTCRtpEncodingParameters[] = [
  { rid: 'h', maxBitrate: 1_200_000 },
  { rid: 'm', maxBitrate: 500_000, scaleResolutionDownBy: 2 },
  { rid: 'l', maxBitrate: 150_000, scaleResolutionDownBy: 4 },
];

function waitForIceGathering(pc: RTCPeerConnection, timeoutMs: number): Promise<void> {
  if (pc.iceGatheringState === 'complete') return Promise.resolve();
  return new Promise((resolve) => {
    const done = () => {
      pc.removeEventListener('icegatheringstatechange', onChange);
      clearTimeout(timer);
      resolve();
    };
    const onChange = () => { if (pc.iceGatheringState === 'complete') done(); };
    // Some candidates (e.g. an unreachable STUN server) never finish: send what we have.
    const timer = setTimeout(done, timeoutMs);
    pc.addEventListener('icegatheringstatechange', onChange);
  });
}

async function exchange(pc: RTCPeerConnection, endpoint: string, token: string): Promise<WhipSession> {
  await pc.setLocalDescription(await pc.createOffer());
  await waitForIceGathering(pc, 2000);
  let res: Response;
  try {
    res = await fetch(endpoint, {
      method: 'POST',
      headers: { 'content-type': 'application/sdp', authorization: `Bearer ${token}` },
      body: pc.localDescription!.sdp,
    });
  } catch (cause) {
    pc.close();
    throw new WhipError('NETWORK', `cannot reach ${endpoint}: ${String(cause)}`, 0);
  }
  if (res.status !== 201) {
    pc.close();
    let code = 'HTTP_' + res.status;
    let message = res.statusText;
    try {
      const body = await res.json() as { error?: { code?: string; message?: string } };
      code = body.error?.code ?? code;
      message = body.error?.message ?? message;
    } catch { /* not JSON */ }
    const retryAfter = Number(res.headers.get('retry-after'));
    throw new WhipError(code, message, res.status, res.status === 503 && retryAfter > 0 ? retryAfter : undefined);
  }
  const location = res.headers.get('location');
  const resourceUrl = location ? new URL(location, endpoint).href : endpoint;
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  let stopped = false;
  return {
    pc,
    resourceUrl,
    async stop() {
      if (stopped) return;
      stopped = true;
      pc.close();
      await fetch(resourceUrl, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    },
  };
}

/** Publish `stream` to a WHIP endpoint; video in three simulcast layers unless `simulcast` is false. */
export async function whipPublish(endpoint: string, token: string, stream: MediaStream, options: { simulcast?: boolean; iceServers?: RTCIceServer[] } = {}): Promise<WhipSession> {
  const pc = new RTCPeerConnection({ iceServers: options.iceServers ?? [] });
  for (const track of stream.getTracks()) {
    if (track.kind === 'video') {
      pc.addTransceiver(track, {
        direction: 'sendonly',
        streams: [stream],
        ...(options.simulcast === false ? {} : { sendEncodings: SIMULCAST_LAYERS }),
      });
    } else {
      pc.addTransceiver(track, { direction: 'sendonly', streams: [stream] });
    }
  }
  return exchange(pc, endpoint, token);
}

/** Longest wait, and number of attempts, for a WHEP join the SFU refused for now (503 SFU_OVERLOADED + Retry-After). */
const MAX_RETRY_AFTER_SECONDS = 30;
const MAX_JOIN_ATTEMPTS = 6;

/**
 * Play from a WHEP endpoint; `onStream` receives the remote stream as soon as a track arrives. A worker at its
 * CPU budget refuses joins with 503 and Retry-After (the publisher's media comes first): wait that long, with
 * jitter so a refused crowd does not come back at once, and offer again.
 */
export async function whepPlay(endpoint: string, token: string, onStream: (stream: MediaStream) => void, options: { iceServers?: RTCIceServer[] } = {}): Promise<WhipSession> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await whepOnce(endpoint, token, onStream, options);
    } catch (err) {
      if (!(err instanceof WhipError) || err.retryAfterSeconds === undefined || attempt >= MAX_JOIN_ATTEMPTS) throw err;
      const seconds = Math.min(err.retryAfterSeconds, MAX_RETRY_AFTER_SECONDS) * (1 + Math.random() * 0.5);
      await new Promise((resolve) => setTimeout(resolve, seconds * 1000));
    }
  }
}

async function whepOnce(endpoint: string, token: string, onStream: (stream: MediaStream) => void, options: { iceServers?: RTCIceServer[] }): Promise<WhipSession> {
  const pc = new RTCPeerConnection({ iceServers: options.iceServers ?? [] });
  const stream = new MediaStream();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addEventListener('track', (event) => {
    stream.addTrack(event.track);
    onStream(stream);
  });
  return exchange(pc, endpoint, token);
}
