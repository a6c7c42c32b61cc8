/**
 * Every HTTP route of the running platform (signaling, the verifier API, the age upload, the chain routes, WHIP/WHEP,
 * /healthz, /metrics), fuzzed with fast-check: odd path parameters and query strings, missing, forged and valid
 * credentials, every content type, bodies of any shape and size. Each answer is a status below 500 and, for an error,
 * the route's one JSON error body with a stable code whose status is the code's own. The list of routes is read
 * from the app itself (app-routes.ts): a route added without an entry here fails the first test.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import fc from 'fast-check';
import { createIdentity, type Identity } from '../../crypto/identity.ts';
import { deriveSecret } from '../../crypto/login.ts';
import { signAttestation } from '../../crypto/age.ts';
import { verifierAuthorization } from '../../crypto/verifier-auth.ts';
import { mintSfuToken, isValidShowId } from '../../sfu/tokens.ts';
import { sfuErrorStatus } from '../../sfu/errors.ts';
import { ERROR_CODES, type ErrorCode } from '../../signaling/protocol.ts';
import { httpStatus } from '../../signaling/http-errors.ts';
import type { Platform } from '../../signaling/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';
import { routesOf } from './app-routes.ts';
import { login, type User } from './helpers.ts';

/** How a route answers an error: our `{ error: { code, message } }`, the SFU's (same shape, SFU codes), JSON-RPC. */
type Shape = 'platform' | 'sfu' | 'jsonrpc';
type Credential = 'none' | 'junk' | 'valid' | 'other';
interface Fuzzed { path: string; query: string; credential: Credential; contentType: string; body: Uint8Array | string | null; extra: [string, string][] }
interface RouteFuzz {
  shape: Shape;
  /** Values of the route's path parameters, in order. */
  params?: number;
  /** The Authorization header for a credential of this kind, for this concrete path (null: none). */
  authorization?: (credential: Credential, segments: string[], method: string) => Promise<string | null>;
  /** Bodies beyond the generic ones: nearly right ones that reach deeper checks. */
  bodies?: fc.Arbitrary<string>;
}

const secret = randomBytes(32);
const metricsToken = randomBytes(24).toString('base64url');
let verifier: Identity;
let stranger: Identity;
let platform: Platform;
let model: User;
let sfuKey: Uint8Array;

const segment = fc.oneof(
  fc.constant('show1'), fc.stringMatching(/^[A-Za-z0-9_-]{1,64}$/), fc.stringMatching(/^[0-9a-f]{32}$/),
  fc.string({ minLength: 1, maxLength: 30 }).filter((s) => s !== '.' && s !== '..'), fc.constantFrom('%00', '%ZZ', '%E0%A4%A', 'a%2Fb', '<script>', '...'),
  fc.string({ minLength: 300, maxLength: 2000 }),
);
/** Segments that URL parsing folds away (`..` climbs out of the route): for the unknown-paths property only. */
const anySegment = fc.oneof(segment, fc.constantFrom('..', '.', '%2e%2e', '%2E.', '//'));
/** A segment as it goes on the wire: encoded, except the ones meant to be raw (malformed escapes and such). */
const RAW = new Set(['%00', '%ZZ', '%E0%A4%A', 'a%2Fb', '..', '.', '%2e%2e', '%2E.', '//']);
const onPath = (s: string) => (RAW.has(s) ? s : encodeURIComponent(s));
const query = fc.oneof(
  fc.constant(''),
  fc.dictionary(fc.string({ maxLength: 10 }), fc.string({ maxLength: 60 }), { maxKeys: 4 }).map((d) => new URLSearchParams(d).toString()),
  fc.constantFrom('after=', 'after=zz', 'after=a&after=b', 'after[x]=1', `after=${'A'.repeat(43)}`, `after=${'A'.repeat(44)}`, 'layer=high', 'layer=bogus', 'verifierKey=', '%ZZ=1'),
);
const text = fc.oneof(fc.string({ maxLength: 200 }), fc.string({ minLength: 5000, maxLength: 20_000 }));
const json = fc.oneof(fc.json({ maxDepth: 3 }), fc.anything({ maxDepth: 3 }).map((v) => JSON.stringify(v) ?? 'null'));
const genericBody = fc.oneof(
  fc.constant(null), fc.constant(''), text, json, fc.uint8Array({ maxLength: 4000 }),
  fc.constantFrom('{', '[]', 'null', '{"__proto__":{"x":1}}', '{"constructor":{"prototype":{"x":1}}}', '\u0000\u0001'),
);
const contentType = fc.constantFrom('', 'application/json', 'application/octet-stream', 'application/sdp', 'text/plain', 'multipart/form-data; boundary=x', 'application/json; charset=utf-16', 'application/x-www-form-urlencoded');
const extraHeaders = fc.array(fc.tuple(
  fc.constantFrom('x-forwarded-for', 'forwarded', 'x-real-ip', 'origin', 'host-x', 'content-length-x', 'range', 'if-none-match'),
  fc.stringMatching(/^[\x20-\x7e]{0,80}$/),
), { maxLength: 3 });

const signedBy = (who: () => Identity, path: string) => async (c: Credential, _s: string[], method: string) => {
  if (c === 'none') return null;
  if (c === 'junk') return `LiveCam-Verifier ${verifier.publicKey}.${Math.floor(Date.now() / 1000)}.${'A'.repeat(86)}`;
  return verifierAuthorization(c === 'valid' ? who() : stranger, method, path);
};
const sfuBearer = (kind: 'whip' | 'whep' | 'relay') => async (c: Credential, segments: string[]) => {
  if (c === 'none') return null;
  if (c === 'junk') return 'Bearer garbage';
  const showId = segments[0] ?? '';
  if (!isValidShowId(showId)) return `Bearer ${mintSfuToken(sfuKey, { kind, showId: 'show1', sub: 'fuzz', ttlSeconds: 60 })}`;
  return `Bearer ${mintSfuToken(c === 'valid' ? sfuKey : randomBytes(32), { kind, showId, sub: 'fuzz', ttlSeconds: 60 })}`;
};
const rpcBodies = fc.record({
  jsonrpc: fc.constantFrom('2.0', '1.0', undefined),
  id: fc.oneof(fc.integer(), fc.string({ maxLength: 120 }), fc.constant(null), fc.anything({ maxDepth: 1 })),
  method: fc.constantFrom('eth_chainId', 'eth_blockNumber', 'eth_getLogs', 'eth_call', 'eth_getBalance', 'eth_sendRawTransaction', 'evm_mine', 'eth_sendTransaction', 'hardhat_setBalance', 'personal_sign', ''),
  params: fc.oneof(fc.constant(undefined), fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 10 }), fc.anything({ maxDepth: 1 })),
}, { requiredKeys: [] }).chain((one) => fc.oneof(fc.constant(JSON.stringify(one)), fc.array(fc.constant(one), { maxLength: 25 }).map((a) => JSON.stringify(a))));

/** One entry per route the app serves: the fuzz of that route. */
const ROUTES: Record<string, RouteFuzz> = {
  'GET /metrics': { shape: 'platform', authorization: async (c) => ({ none: null, junk: 'Bearer nope', valid: `Bearer ${metricsToken}`, other: 'Basic eDp5' })[c] },
  'GET /healthz': { shape: 'platform' },
  'GET /verifier/pending': { shape: 'platform', authorization: signedBy(() => verifier, '/verifier/pending') },
  'POST /verifier/attestations': {
    shape: 'platform', authorization: signedBy(() => verifier, '/verifier/attestations'),
    bodies: fc.tuple(fc.boolean(), fc.integer({ min: -10_000, max: 600 }), fc.boolean()).chain(([adult, skew, own]) => fc.constant(JSON.stringify({
      attestationOf: { adult, skew, own },
    }))),
  },
  'POST /age/documents': {
    shape: 'platform',
    authorization: async (c) => ({ none: null, junk: 'Bearer junk', valid: `Bearer ${model.token}`, other: `Bearer ${model.token}x` })[c],
  },
  'GET /api/chain': { shape: 'platform' },
  'POST /api/rpc': { shape: 'jsonrpc', bodies: rpcBodies },
  'POST /api/faucet': { shape: 'platform', bodies: fc.oneof(fc.constant('{"address":"0x0000000000000000000000000000000000000000","x":1}'), fc.stringMatching(/^0x[0-9a-fA-F]{0,41}$/).map((a) => JSON.stringify({ address: a }))) },
  'GET /api/receiver/:key': { shape: 'platform', params: 1 },
};
for (const kind of ['whip', 'whep'] as const) {
  const authorization = sfuBearer(kind);
  Object.assign(ROUTES, {
    [`OPTIONS /${kind}/:showId`]: { shape: 'sfu', params: 1 },
    [`OPTIONS /${kind}/:showId/:resourceId`]: { shape: 'sfu', params: 2 },
    [`OPTIONS /${kind}/:showId/:resourceId/*rest`]: { shape: 'sfu', params: 3 },
    [`POST /${kind}/:showId`]: { shape: 'sfu', params: 1, authorization, bodies: fc.constantFrom('v=0\r\n', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=rtpmap:96 VP8/90000\r\n', 'x'.repeat(70_000)) },
    [`DELETE /${kind}/:showId/:resourceId`]: { shape: 'sfu', params: 2, authorization },
    [`PATCH /${kind}/:showId/:resourceId`]: { shape: 'sfu', params: 2, authorization },
    [`GET /${kind}/:showId/:resourceId/events`]: { shape: 'sfu', params: 2, authorization },
  });
}
ROUTES['POST /relay/:showId'] = { shape: 'sfu', params: 1, authorization: sfuBearer('relay') };
ROUTES['POST /whep/:showId/:resourceId/layer'] = { shape: 'sfu', params: 2, authorization: sfuBearer('whep'), bodies: fc.constantFrom('{"layer":"high"}', '{"encodingId":"h"}', '{"layer":1}') };

/** A request of `route` (`METHOD /path/:param`), with its parameters filled in. */
function fuzzed(route: string, spec: RouteFuzz): fc.Arbitrary<Fuzzed & { segments: string[] }> {
  const [, template] = route.split(' ') as [string, string];
  return fc.record({
    segments: fc.array(segment, { minLength: spec.params ?? 0, maxLength: spec.params ?? 0 }),
    query,
    credential: fc.constantFrom<Credential>('none', 'junk', 'valid', 'valid', 'other'),
    contentType,
    body: spec.bodies ? fc.oneof(genericBody, spec.bodies, spec.bodies) : genericBody,
    extra: extraHeaders,
  }).map((r) => {
    let i = 0;
    const path = template.replace(/[:*][A-Za-z]+/g, () => onPath(r.segments[i++]!));
    return { ...r, path };
  });
}

/** Turns the placeholder of an attestation body into a real one (signing is async, fast-check arbitraries are not). */
async function realBody(body: Fuzzed['body']): Promise<Fuzzed['body']> {
  if (typeof body !== 'string' || !body.startsWith('{"attestationOf"')) return body;
  const { adult, skew, own } = (JSON.parse(body) as { attestationOf: { adult: boolean; skew: number; own: boolean } }).attestationOf;
  const attestation = await signAttestation(own ? verifier : stranger, { modelKey: model.key, adult, now: Math.floor(Date.now() / 1000) + skew });
  return JSON.stringify({ attestation });
}

async function send(route: string, spec: RouteFuzz, r: Fuzzed & { segments: string[] }): Promise<{ status: number; text: string; type: string }> {
  const method = route.split(' ')[0]!;
  const headers = new Headers();
  for (const [k, v] of r.extra) headers.set(k, v);
  if (r.contentType) headers.set('content-type', r.contentType);
  const auth = await spec.authorization?.(r.credential, r.segments, method);
  if (auth) headers.set('authorization', auth);
  const body = method === 'GET' || method === 'OPTIONS' ? undefined : await realBody(r.body);
  const res = await fetch(`${platform.url}${r.path}${r.query ? `?${r.query}` : ''}`, {
    method, headers, body: (body ?? undefined) as BodyInit | undefined, signal: AbortSignal.timeout(20_000),
  });
  // A server-sent-events stream that opened would never end: read its first chunk only.
  if ((res.headers.get('content-type') ?? '').startsWith('text/event-stream')) {
    await res.body?.cancel();
    return { status: res.status, text: '', type: 'text/event-stream' };
  }
  return { status: res.status, text: await res.text(), type: res.headers.get('content-type') ?? '' };
}

function checkAnswer(route: string, spec: RouteFuzz, a: { status: number; text: string; type: string }, what: string): void {
  assert.ok(a.status >= 200 && a.status < 500, `${route} ${what}: status ${a.status} ${a.text.slice(0, 200)}`);
  if (spec.shape === 'jsonrpc') {
    const body = JSON.parse(a.text) as unknown;
    for (const one of [body].flat() as { jsonrpc?: unknown; error?: { code?: unknown; message?: unknown } }[]) {
      assert.is(one.jsonrpc, '2.0', `${route} ${what}: a JSON-RPC answer`);
      if (one.error) assert.ok(Number.isInteger(one.error.code) && typeof one.error.message === 'string', `${route} ${what}: a JSON-RPC error`);
    }
    return;
  }
  if (a.status < 400) return;
  assert.ok(a.type.startsWith('application/json'), `${route} ${what}: an error is JSON (${a.type})`);
  const body = JSON.parse(a.text) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(Object.keys(body), ['error'], `${route} ${what}: ${a.text.slice(0, 200)}`);
  assert.equal(Object.keys(body.error ?? {}).sort(), ['code', 'message']);
  assert.type(body.error!.message, 'string');
  const code = String(body.error!.code);
  if (spec.shape === 'sfu') {
    assert.ok(code in sfuErrorStatus, `${route} ${what}: SFU code ${code}`);
    assert.is(a.status, sfuErrorStatus[code as keyof typeof sfuErrorStatus], `${route} ${what}: the status of ${code}`);
  } else {
    assert.ok((ERROR_CODES as readonly string[]).includes(code), `${route} ${what}: protocol code ${code}`);
    // A body too large is BAD_REQUEST answered 413; every other code has its one status.
    if (!(a.status === 413 && code === 'BAD_REQUEST')) assert.is(a.status, httpStatus(code as ErrorCode), `${route} ${what}: the status of ${code}`);
  }
}

const t = suite('fuzz: every HTTP route of the platform');
t.before(async () => {
  verifier = await createIdentity();
  stranger = await createIdentity();
  sfuKey = await deriveSecret(secret, 'sfu-token');
  platform = await startTestPlatform({
    SESSION_SECRET: secret.toString('base64'), SERVE_CLIENT: 'true', LOG_LEVEL: 'silent',
    VERIFIER_PUBLIC_KEYS: verifier.publicKey, AGE_VERIFICATION: 'required', METRICS_TOKEN: metricsToken,
    TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET: 'test-turn-secret-0123456789',
  });
  model = await login(platform.url, 'model');
});
t.after(async () => {
  model?.socket.close();
  await platform?.close();
});

t('every route the app serves has a fuzz entry here, and every entry is a route', () => {
  assert.equal(routesOf(platform.signaling.app), Object.keys(ROUTES).sort());
});

t('malformed requests to every route: no 5xx, the route\'s JSON error body, a stable code with its own status', async () => {
  for (const [route, spec] of Object.entries(ROUTES)) {
    await fc.assert(fc.asyncProperty(fuzzed(route, spec), async (r) => {
      checkAnswer(route, spec, await send(route, spec, r), `${JSON.stringify(r.path.slice(0, 80))}?${JSON.stringify(r.query.slice(0, 40))} (${r.credential}, ${r.contentType})`);
    }), { numRuns: 30, includeErrorInReport: true });
  }
});

t('unknown paths and methods: no 5xx', async () => {
  await fc.assert(fc.asyncProperty(fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'), fc.array(anySegment, { minLength: 1, maxLength: 4 }), async (method, segments) => {
    const res = await fetch(`${platform.url}/${segments.map(onPath).join('/')}`, { method, signal: AbortSignal.timeout(20_000) });
    await res.arrayBuffer();
    assert.ok(res.status < 500, `${method} /${segments.join('/').slice(0, 80)}: ${res.status}`);
  }), { numRuns: 60, includeErrorInReport: true });
});

t('the platform is up and answers afterwards', async () => {
  const health = await fetch(`${platform.url}/healthz`);
  assert.equal(await health.json(), { ok: true, parts: { chain: true, sfu: true, signaling: true } });
  assert.is((await fetch(`${platform.url}/api/chain`)).status, 200);
  assert.ok(model.socket.connected, 'the logged-in socket stayed');
  const metrics = await fetch(`${platform.url}/metrics`, { headers: { authorization: `Bearer ${metricsToken}` } });
  assert.ok((await metrics.text()).includes('signaling_events_total'));
});

t.run();
