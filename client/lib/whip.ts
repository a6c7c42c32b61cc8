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
  /** The peer connection carrying the media (a publisher's is replaced when it reconnects). */
  readonly pc: RTCPeerConnection;
  /** Absolute URL of the session resource on the server. */
  readonly resourceUrl: string;
  /** The STUN/TURN servers the answer's `Link` headers named (RFC 9725 4.6), applied to `pc` and meant for the next offer. */
  readonly iceServers: RTCIceServer[];
  /** Absolute URL of the server-sent events (`reconnect`, `closed`), when the server offers them. */
  readonly eventsUrl: string | undefined;
  /** Absolute URL of the WHEP layer endpoint (`POST {"layer": ...}`), when the server offers it. */
  readonly layerUrl: string | undefined;
  /** Ends the session on the server and closes the connection; safe to call twice. */
  stop(): Promise<void>;
}

/** Link relation of the server-sent events extension (WHEP), and of the layer selection extension. */
export const EVENTS_REL = 'urn:ietf:params:whep:ext:core:server-sent-events';
export const LAYER_REL = 'urn:ietf:params:whep:ext:core:layer';

/** One `Link` header value: `<url>; rel="..."; key="value"` (RFC 8288), the URL resolved against `base`. */
export interface Link { url: string; rel: string; params: Record<string, string> }

/** Parses a (comma-joined) `Link` header; entries it cannot read are skipped. */
export function parseLinks(header: string | null, base: string): Link[] {
  if (!header) return [];
  const links: Link[] = [];
  // One entry: <...> then parameters, each a token or a quoted string (which may hold commas and semicolons).
  const entry = /\s*<([^>]*)>((?:\s*;\s*[A-Za-z0-9*!#$%&'+.^_`|~-]+\s*(?:=\s*(?:"(?:[^"\\]|\\.)*"|[^",;]*))?)*)\s*(?:,|$)/gy;
  const param = /;\s*([A-Za-z0-9*!#$%&'+.^_`|~-]+)\s*(?:=\s*("(?:[^"\\]|\\.)*"|[^",;]*))?/g;
  let m: RegExpExecArray | null;
  while (entry.lastIndex < header.length && (m = entry.exec(header))) {
    const params: Record<string, string> = {};
    for (const p of m[2]!.matchAll(param)) {
      const raw = (p[2] ?? '').trim();
      params[p[1]!.toLowerCase()] = raw.startsWith('"') ? raw.slice(1, -1).replace(/\\(.)/g, '$1') : raw;
    }
    try {
      links.push({ url: new URL(m[1]!, base).href, rel: params.rel ?? '', params });
    } catch { /* not a URL */ }
  }
  return links;
}

/** The `rel="ice-server"` links as RTCIceServers (one per URL, with its credentials). */
export function iceServersFrom(links: Link[]): RTCIceServer[] {
  return links.filter((l) => l.rel === 'ice-server' && /^(stun|turns?):/.test(l.url)).map((l) => ({
    urls: l.url,
    ...(l.params.username !== undefined ? { username: l.params.username } : {}),
    ...(l.params.credential !== undefined ? { credential: l.params.credential } : {}),
  }));
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
  const links = parseLinks(res.headers.get('link'), endpoint);
  const iceServers = iceServersFrom(links);
  await pc.setRemoteDescription({ type: 'answer', sdp: await res.text() });
  if (iceServers.length) {
    // Offered before the answer could name them (no trickle): they serve this connection's later checks and the next offer.
    try { pc.setConfiguration({ ...pc.getConfiguration(), iceServers }); } catch { /* a browser that refuses keeps its own */ }
  }
  let stopped = false;
  return {
    pc,
    resourceUrl,
    iceServers,
    eventsUrl: links.find((l) => l.rel === EVENTS_REL)?.url,
    layerUrl: links.find((l) => l.rel === LAYER_REL)?.url,
    async stop() {
      if (stopped) return;
      stopped = true;
      pc.close();
      await fetch(resourceUrl, { method: 'DELETE', headers: { authorization: `Bearer ${token}` } }).catch(() => undefined);
    },
  };
}

/** How long a publisher told to `reconnect` keeps offering again, and the pause between offers. */
const REPUBLISH_DEADLINE_MS = 30_000;
const REPUBLISH_PAUSE_MS = 300;

export interface WhipPublishOptions {
  /** Send video in three simulcast layers (default true). */
  simulcast?: boolean;
  /** STUN/TURN servers for the first offer (later offers use the ones the answer's `Link` headers named). */
  iceServers?: RTCIceServer[];
  /** A fresh endpoint and token for an offer after a `reconnect` (default: the first ones again). */
  renew?: () => Promise<{ endpoint: string; token: string }>;
}

/**
 * Publish `stream` to a WHIP endpoint; video in three simulcast layers unless `simulcast` is false. When the
 * server's event stream says `reconnect` (its worker died, or its host drains), the stream is offered again by
 * itself until a worker takes it: the model does nothing, viewers come back to a show that is still there.
 */
export async function whipPublish(endpoint: string, token: string, stream: MediaStream, options: WhipPublishOptions = {}): Promise<WhipSession> {
  const connect = (target: { endpoint: string; token: string }, iceServers: RTCIceServer[]): Promise<WhipSession> => {
    const pc = new RTCPeerConnection({ iceServers });
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
    return exchange(pc, target.endpoint, target.token);
  };
  let current = await connect({ endpoint, token }, options.iceServers ?? []);
  let stopped = false;
  let events: EventSource | null = null;
  const follow = (): void => {
    events?.close();
    events = null;
    if (stopped || !current.eventsUrl) return;
    const source = new EventSource(current.eventsUrl);
    events = source;
    source.addEventListener('reconnect', () => { source.close(); void republish(); });
    source.addEventListener('closed', () => source.close());
  };
  const republish = async (): Promise<void> => {
    current.pc.close();
    const deadline = Date.now() + REPUBLISH_DEADLINE_MS;
    while (!stopped && Date.now() < deadline) {
      try {
        const target = options.renew ? await options.renew() : { endpoint, token };
        const next = await connect(target, current.iceServers.length ? current.iceServers : options.iceServers ?? []);
        if (stopped) { void next.stop(); return; }
        current = next;
        follow();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, REPUBLISH_PAUSE_MS));
      }
    }
  };
  follow();
  return {
    get pc() { return current.pc; },
    get resourceUrl() { return current.resourceUrl; },
    get iceServers() { return current.iceServers; },
    get eventsUrl() { return current.eventsUrl; },
    get layerUrl() { return current.layerUrl; },
    async stop() {
      stopped = true;
      events?.close();
      await current.stop();
    },
  };
}

/** A viewer's layer choice: a fixed simulcast layer or `auto` (sfu/engine.ts LayerPreference). */
export type LayerChoice = 'auto' | 'high' | 'medium' | 'low';

export interface WhepPlayOptions {
  /** STUN/TURN servers for the offer (e.g. the ones an earlier answer's `Link` headers named). */
  iceServers?: RTCIceServer[];
  /** The layer to start on (the SFU's `?layer=`); `auto` when absent. */
  layer?: LayerChoice;
}

/** Asks the SFU to forward `layer` to this viewer (the WHEP layer extension). */
export async function setWhepLayer(session: WhipSession, token: string, layer: LayerChoice): Promise<void> {
  if (!session.layerUrl) throw new WhipError('SFU_NO_LAYER_ENDPOINT', 'this server offers no layer choice', 0);
  let res: Response;
  try {
    res = await fetch(session.layerUrl, {
      method: 'POST', headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` }, body: JSON.stringify({ layer }),
    });
  } catch (cause) {
    throw new WhipError('NETWORK', `cannot reach ${session.layerUrl}: ${String(cause)}`, 0);
  }
  if (!res.ok) {
    const body = await res.json().catch(() => null) as { error?: { code?: string; message?: string } } | null;
    throw new WhipError(body?.error?.code ?? 'HTTP_' + res.status, body?.error?.message ?? res.statusText, res.status);
  }
}

/** Longest wait, and number of attempts, for a WHEP join the SFU refused for now (503 SFU_OVERLOADED + Retry-After). */
const MAX_RETRY_AFTER_SECONDS = 30;
const MAX_JOIN_ATTEMPTS = 6;

/**
 * Play from a WHEP endpoint; `onStream` receives the remote stream as soon as a track arrives. A worker at its
 * CPU budget refuses joins with 503 and Retry-After (the publisher's media comes first): wait that long, with
 * jitter so a refused crowd does not come back at once, and offer again.
 */
export async function whepPlay(endpoint: string, token: string, onStream: (stream: MediaStream) => void, options: WhepPlayOptions = {}): Promise<WhipSession> {
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

async function whepOnce(endpoint: string, token: string, onStream: (stream: MediaStream) => void, options: WhepPlayOptions): Promise<WhipSession> {
  const pc = new RTCPeerConnection({ iceServers: options.iceServers ?? [] });
  const stream = new MediaStream();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  pc.addEventListener('track', (event) => {
    stream.addTrack(event.track);
    onStream(stream);
  });
  return exchange(pc, options.layer ? `${endpoint}${endpoint.includes('?') ? '&' : '?'}layer=${options.layer}` : endpoint, token);
}
