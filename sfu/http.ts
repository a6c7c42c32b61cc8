/**
 * WHIP (RFC 9725) ingest and WHEP egress over HTTP, as an express Router the
 * signaling server mounts on its own origin.
 *
 *   POST   /whip/:showId                      SDP offer -> 201, Location, answer
 *   DELETE /whip/:showId/:resourceId          end the session
 *   PATCH  /whip/:showId/:resourceId          405: no trickle ICE (answers carry every candidate)
 *   GET    /whip/:showId/:resourceId/events   server-sent events: `reconnect`, `closed`
 *   (same under /whep; plus POST /whep/:showId/:resourceId/layer {"layer": "auto"|"high"|"medium"|"low"})
 *
 * Every error is `{ error: { code, message } }` with a stable SfuError code; a 503 carries `Retry-After`
 * (SFU_OVERLOADED: the worker holding the show is at its CPU budget for joins, see werift/JoinAdmission.ts).
 */
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { LAYER_PREFERENCES, type LayerPreference, type ResourceRole, type SfuEngine } from './engine.ts';
import { SfuError, sfuRetryAfterSeconds } from './errors.ts';
import { EdgeRelays } from './relay/EdgeRelays.ts';
import { createRelayRouter } from './relay/relayRouter.ts';
import { isValidShowId, verifySfuToken, type SfuTokenKind } from './tokens.ts';
import { MAX_SDP_BYTES } from './werift/sdp.ts';
import type { SfuDrain } from './drain.ts';

export interface IceServer { urls: string | string[]; username?: string; credential?: string }

export interface SfuRouterOptions {
  /** The engine that owns the media sessions. */
  engine: SfuEngine;
  /** HMAC secret shared with signaling, which mints the tokens. */
  secret: Uint8Array;
  /** STUN/TURN servers announced to clients in `Link` headers (static list or per request). */
  iceServers?: IceServer[] | (() => IceServer[]);
  /** Path prefix where the router is mounted (for `Location`), e.g. '' or '/sfu'. */
  basePath?: string;
  /** Externally visible base URL (PUBLIC_URL / SFU_PUBLIC_URL): `Location` and `Link` URLs are absolute from it; unset: relative. */
  publicUrl?: string;
  /** When the host is stopping: viewers' event streams get `reconnect` (`draining`), new sessions `SFU_CLOSED`. */
  drain?: SfuDrain;
}

const RESOURCE_ID = /^[0-9a-f]{32}$/;

function quote(s: string): string {
  return `"${s.replace(/["\\]/g, '\\$&')}"`;
}

/** `Link` header values for ICE servers (RFC 9725 section 4.6). */
export function iceServerLinks(servers: IceServer[]): string[] {
  const links: string[] = [];
  for (const s of servers) {
    for (const url of Array.isArray(s.urls) ? s.urls : [s.urls]) {
      let link = `<${url}>; rel="ice-server"`;
      if (s.username !== undefined) link += `; username=${quote(s.username)}`;
      if (s.credential !== undefined) link += `; credential=${quote(s.credential)}; credential-type="password"`;
      links.push(link);
    }
  }
  return links;
}

function cors(res: Response): void {
  res.setHeader('Access-Control-Allow-Origin', '*');
  res.setHeader('Access-Control-Allow-Methods', 'POST, GET, DELETE, PATCH, OPTIONS');
  res.setHeader('Access-Control-Allow-Headers', 'Authorization, Content-Type, If-Match');
  res.setHeader('Access-Control-Expose-Headers', 'Location, Link, ETag, Accept-Patch, Retry-After');
}

function sendError(res: Response, err: unknown): void {
  const e = err instanceof SfuError ? err : new SfuError('SFU_INTERNAL', 'internal SFU error', { cause: err });
  if (res.headersSent) { res.end(); return; }
  cors(res);
  const retryAfter = sfuRetryAfterSeconds[e.code];
  if (retryAfter !== undefined) res.setHeader('Retry-After', String(retryAfter));
  res.status(e.status).json({ error: e.toJSON() });
}

function bearer(req: Request): string {
  const h = req.headers.authorization;
  if (typeof h !== 'string' || h === '') throw new SfuError('SFU_UNAUTHORIZED', 'missing bearer token');
  const m = /^Bearer\s+(\S+)$/i.exec(h.trim());
  if (!m) throw new SfuError('SFU_UNAUTHORIZED', 'expected an Authorization: Bearer token');
  return m[1]!;
}

export function createSfuRouter(options: SfuRouterOptions): Router {
  const { engine, secret } = options;
  const base = (options.publicUrl ?? '').replace(/\/+$/, '') + (options.basePath ?? '').replace(/\/$/, '');
  const iceServers = (): IceServer[] =>
    typeof options.iceServers === 'function' ? options.iceServers() : options.iceServers ?? [];
  const router = express.Router();
  const sdpBody = express.text({ type: 'application/sdp', limit: MAX_SDP_BYTES });
  // Origin/edge relay between SFU hosts (sfu/relay/): POST /relay/:showId here, and WHEP with an `origin` claim.
  const edges = new EdgeRelays({ engine, secret });
  router.use(createRelayRouter({ engine, secret }));

  const showIdOf = (req: Request): string => {
    const showId = String(req.params.showId ?? '');
    if (!isValidShowId(showId)) throw new SfuError('SFU_UNKNOWN_SHOW', 'no such show');
    return showId;
  };
  const resourceIdOf = (req: Request): string => {
    const id = String(req.params.resourceId ?? '');
    if (!RESOURCE_ID.test(id)) throw new SfuError('SFU_UNKNOWN_RESOURCE', 'no such session');
    return id;
  };
  const sdpOf = (req: Request): string => {
    if (!req.is('application/sdp')) throw new SfuError('SFU_BAD_CONTENT_TYPE', 'the offer must be sent as application/sdp');
    if (typeof req.body !== 'string' || req.body.length === 0) throw new SfuError('SFU_BAD_SDP', 'empty SDP offer');
    return req.body;
  };
  const links = (kind: SfuTokenKind, showId: string, resourceId: string): string[] => [
    ...iceServerLinks(iceServers()),
    `<${base}/${kind}/${showId}/${resourceId}/events>; rel="urn:ietf:params:whep:ext:core:server-sent-events"; events="reconnect,closed"`,
    ...(kind === 'whep' ? [`<${base}/whep/${showId}/${resourceId}/layer>; rel="urn:ietf:params:whep:ext:core:layer"`] : []),
  ];

  for (const kind of ['whip', 'whep'] as const) {
    const role: ResourceRole = kind === 'whip' ? 'publisher' : 'viewer';

    router.options([`/${kind}/:showId`, `/${kind}/:showId/:resourceId`, `/${kind}/:showId/:resourceId/*rest`], (_req, res) => {
      cors(res);
      res.setHeader('Accept-Post', 'application/sdp');
      const servers = iceServerLinks(iceServers());
      if (servers.length) res.setHeader('Link', servers);
      res.status(204).end();
    });

    router.post(`/${kind}/:showId`, (req, res, next) => {
      // Content type is checked before the body parser so a wrong type is a 415, not an empty body.
      if (!req.is('application/sdp')) {
        try {
          showIdOf(req);
          verifySfuToken(secret, bearer(req), kind, String(req.params.showId));
        } catch (err) { sendError(res, err); return; }
        sendError(res, new SfuError('SFU_BAD_CONTENT_TYPE', 'the offer must be sent as application/sdp'));
        return;
      }
      sdpBody(req, res, next);
    }, async (req, res) => {
      try {
        const showId = showIdOf(req);
        const claims = verifySfuToken(secret, bearer(req), kind, showId);
        if (options.drain?.draining) throw new SfuError('SFU_CLOSED', 'this media server is stopping: ask signaling for another one');
        const offerSdp = sdpOf(req);
        let layer: LayerPreference | undefined;
        if (kind === 'whep' && req.query.layer !== undefined) {
          const l = String(req.query.layer);
          if (!LAYER_PREFERENCES.includes(l as LayerPreference)) throw new SfuError('SFU_BAD_REQUEST', 'layer must be auto, high, medium or low');
          layer = l as LayerPreference;
        }
        const { resourceId, answerSdp } = kind === 'whip'
          ? await engine.publish({ showId, offerSdp, sub: claims.sub })
          : claims.origin !== undefined
            ? await edges.view({ showId, offerSdp, sub: claims.sub, ...(layer ? { layer } : {}) }, claims.origin)
            : await engine.view({ showId, offerSdp, sub: claims.sub, ...(layer ? { layer } : {}) });
        cors(res);
        res.setHeader('Location', `${base}/${kind}/${showId}/${resourceId}`);
        res.setHeader('Link', links(kind, showId, resourceId));
        res.setHeader('ETag', `"${resourceId}"`);
        res.status(201).type('application/sdp').send(answerSdp);
      } catch (err) {
        sendError(res, err);
      }
    });

    router.delete(`/${kind}/:showId/:resourceId`, async (req, res) => {
      try {
        const showId = showIdOf(req);
        verifySfuToken(secret, bearer(req), kind, showId);
        const resourceId = resourceIdOf(req);
        await engine.closeResource(showId, resourceId, role);
        cors(res);
        res.status(200).end();
      } catch (err) {
        sendError(res, err);
      }
    });

    router.patch(`/${kind}/:showId/:resourceId`, (req, res) => {
      try {
        const showId = showIdOf(req);
        verifySfuToken(secret, bearer(req), kind, showId);
        const resourceId = resourceIdOf(req);
        if (engine.resourceRole(showId, resourceId) !== role) throw new SfuError('SFU_UNKNOWN_RESOURCE', 'no such session');
        res.setHeader('Allow', 'DELETE, OPTIONS');
        throw new SfuError('SFU_METHOD_NOT_ALLOWED', 'trickle ICE and ICE restarts are not supported: the answer has every candidate; POST a new offer');
      } catch (err) {
        sendError(res, err);
      }
    });

    router.get(`/${kind}/:showId/:resourceId/events`, (req, res) => {
      let showId: string;
      let resourceId: string;
      try {
        showId = showIdOf(req);
        resourceId = resourceIdOf(req);
        if (engine.resourceRole(showId, resourceId) !== role) throw new SfuError('SFU_UNKNOWN_RESOURCE', 'no such session');
      } catch (err) { sendError(res, err); return; }
      cors(res);
      res.status(200);
      res.setHeader('Content-Type', 'text/event-stream');
      res.setHeader('Cache-Control', 'no-store');
      res.flushHeaders();
      res.write(': ok\n\n');
      const onClosed = (s: string, r: string, _role: ResourceRole, reason: string) => {
        if (s !== showId || r !== resourceId) return;
        res.write(`event: ${reason === 'worker-died' ? 'reconnect' : 'closed'}\ndata: ${JSON.stringify({ reason })}\n\n`);
        res.end();
      };
      engine.events.on('resourceclosed', onClosed);
      // A viewer moves off a stopping host; its session here stays until it leaves or the host exits.
      const onDraining = () => res.write(`event: reconnect\ndata: ${JSON.stringify({ reason: 'draining' })}\n\n`);
      if (role === 'viewer') {
        options.drain?.events.on('draining', onDraining);
        if (options.drain?.draining) onDraining();
      }
      const ping = setInterval(() => res.write(': ping\n\n'), 15_000);
      ping.unref();
      res.on('close', () => {
        clearInterval(ping);
        engine.events.off('resourceclosed', onClosed);
        options.drain?.events.off('draining', onDraining);
      });
    });
  }

  router.post('/whep/:showId/:resourceId/layer', express.json({ limit: 1024 }), async (req, res) => {
    try {
      const showId = showIdOf(req);
      verifySfuToken(secret, bearer(req), 'whep', showId);
      const resourceId = resourceIdOf(req);
      const body = req.body as { layer?: unknown; encodingId?: unknown } | undefined;
      const fromEncoding: Record<string, LayerPreference> = { h: 'high', f: 'high', m: 'medium', l: 'low', q: 'low' };
      const layer = typeof body?.layer === 'string' ? body.layer
        : typeof body?.encodingId === 'string' ? fromEncoding[body.encodingId] : undefined;
      if (!layer || !LAYER_PREFERENCES.includes(layer as LayerPreference)) {
        throw new SfuError('SFU_BAD_REQUEST', 'expected {"layer": "auto" | "high" | "medium" | "low"}');
      }
      await engine.setLayer(showId, resourceId, layer as LayerPreference);
      cors(res);
      res.status(204).end();
    } catch (err) {
      sendError(res, err);
    }
  });

  // Body-parser failures (too large, bad JSON) and anything else thrown synchronously.
  router.use((err: unknown, _req: Request, res: Response, _next: NextFunction) => {
    const e = err as { type?: string; status?: number };
    if (e?.type === 'entity.too.large') sendError(res, new SfuError('SFU_BODY_TOO_LARGE', 'request body too large'));
    else if (e?.type === 'entity.parse.failed') sendError(res, new SfuError('SFU_BAD_REQUEST', 'malformed JSON body'));
    else if (e?.status && e.status >= 400 && e.status < 500) sendError(res, new SfuError('SFU_BAD_REQUEST', 'bad request'));
    else sendError(res, err);
  });
  return router;
}
