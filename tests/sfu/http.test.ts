/**
 * WHIP/WHEP bad input: every rejection is the right 4xx with a stable JSON
 * error code, and nothing reaches the engine. Runs on the in-process engine
 * (no browser needed).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { WeriftEngine } from '../../sfu/werift/WeriftEngine.ts';
import { Registry } from 'prom-client';
import { registerSfuMetrics } from '../../sfu/metrics.ts';
import { mintSfuToken, verifySfuToken } from '../../sfu/tokens.ts';
import { exitSoon, startOrigin, type Origin } from './helpers/browser.ts';

const secret = new Uint8Array(32).fill(9);
let engine: WeriftEngine;
let origin: Origin;

const token = (kind: 'whip' | 'whep', showId: string, ttlSeconds = 60, now = Date.now()) =>
  mintSfuToken(secret, { kind, showId, sub: 'pseudonym', ttlSeconds }, now);

async function post(path: string, body: string, headers: Record<string, string>) {
  const res = await fetch(`${origin.url}${path}`, { method: 'POST', body, headers });
  const text = await res.text();
  let json: { error?: { code: string; message: string } } = {};
  try { json = JSON.parse(text); } catch { /* not JSON */ }
  return { status: res.status, code: json.error?.code, headers: res.headers, text };
}

const GOOD_OFFER_HEAD = 'v=0\r\no=- 1 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n';

const tokens = suite('sfu tokens');

tokens('round-trip, wrong kind, wrong show, tampering, expiry', () => {
  const t = token('whip', 'show-a');
  assert.equal(verifySfuToken(secret, t, 'whip', 'show-a').sub, 'pseudonym');
  assert.throws(() => verifySfuToken(secret, t, 'whep', 'show-a'), (e: { code: string }) => e.code === 'SFU_UNAUTHORIZED');
  assert.throws(() => verifySfuToken(secret, t, 'whip', 'show-b'), (e: { code: string }) => e.code === 'SFU_UNAUTHORIZED');
  const [body, mac] = t.split('.');
  const forged = Buffer.from(JSON.stringify({ kind: 'whip', showId: 'show-a', sub: 'x', exp: 9e9 })).toString('base64url');
  assert.throws(() => verifySfuToken(secret, `${forged}.${mac}`, 'whip', 'show-a'), (e: { code: string }) => e.code === 'SFU_UNAUTHORIZED');
  assert.throws(() => verifySfuToken(new Uint8Array(32), t, 'whip', 'show-a'), (e: { code: string }) => e.code === 'SFU_UNAUTHORIZED');
  assert.throws(() => verifySfuToken(secret, `${body}`, 'whip', 'show-a'), (e: { code: string }) => e.code === 'SFU_UNAUTHORIZED');
  const old = token('whip', 'show-a', 10, Date.now() - 60_000);
  assert.throws(() => verifySfuToken(secret, old, 'whip', 'show-a'), (e: { code: string }) => e.code === 'SFU_TOKEN_EXPIRED');
});

const http = suite('sfu WHIP/WHEP bad input');

http.before(async () => {
  engine = new WeriftEngine({ listenIp: '127.0.0.1' });
  origin = await startOrigin(engine, secret);
});

http.after(async () => {
  await origin.close();
  await engine.close();
  exitSoon();
});

for (const kind of ['whip', 'whep'] as const) {
  http(`${kind}: wrong content type is 415`, async () => {
    const r = await post(`/${kind}/show1`, '{"sdp":"x"}', { 'Content-Type': 'application/json', Authorization: `Bearer ${token(kind, 'show1')}` });
    assert.is(r.status, 415);
    assert.is(r.code, 'SFU_BAD_CONTENT_TYPE');
  });

  http(`${kind}: missing, malformed, wrong-kind and expired tokens are 401`, async () => {
    const sdp = { 'Content-Type': 'application/sdp' };
    let r = await post(`/${kind}/show1`, GOOD_OFFER_HEAD, sdp);
    assert.is(r.status, 401); assert.is(r.code, 'SFU_UNAUTHORIZED');
    r = await post(`/${kind}/show1`, GOOD_OFFER_HEAD, { ...sdp, Authorization: 'Basic abc' });
    assert.is(r.status, 401); assert.is(r.code, 'SFU_UNAUTHORIZED');
    r = await post(`/${kind}/show1`, GOOD_OFFER_HEAD, { ...sdp, Authorization: `Bearer ${token(kind === 'whip' ? 'whep' : 'whip', 'show1')}` });
    assert.is(r.status, 401); assert.is(r.code, 'SFU_UNAUTHORIZED');
    r = await post(`/${kind}/show1`, GOOD_OFFER_HEAD, { ...sdp, Authorization: `Bearer ${token(kind, 'other-show')}` });
    assert.is(r.status, 401); assert.is(r.code, 'SFU_UNAUTHORIZED');
    r = await post(`/${kind}/show1`, GOOD_OFFER_HEAD, { ...sdp, Authorization: `Bearer ${token(kind, 'show1', 5, Date.now() - 10_000)}` });
    assert.is(r.status, 401); assert.is(r.code, 'SFU_TOKEN_EXPIRED');
  });

  http(`${kind}: malformed SDP is 400`, async () => {
    const headers = { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token(kind, 'show1')}` };
    for (const body of ['hello', GOOD_OFFER_HEAD, `${GOOD_OFFER_HEAD}m=video 9 UDP/TLS/RTP/SAVPF 96\r\n`, '']) {
      const r = await post(`/${kind}/show1`, body, headers);
      // WHEP checks the show first: nobody publishes show1, so 404 is right there too.
      if (kind === 'whep' && r.status === 404) { assert.is(r.code, 'SFU_UNKNOWN_SHOW'); continue; }
      assert.is(r.status, 400, `body ${JSON.stringify(body)}`);
      assert.is(r.code, 'SFU_BAD_SDP');
    }
  });

  http(`${kind}: DELETE and PATCH of an unknown resource are 404`, async () => {
    const auth = { Authorization: `Bearer ${token(kind, 'show1')}` };
    for (const id of ['0123456789abcdef0123456789abcdef', 'not-a-resource']) {
      const del = await fetch(`${origin.url}/${kind}/show1/${id}`, { method: 'DELETE', headers: auth });
      assert.is(del.status, 404);
      assert.is(((await del.json()) as { error: { code: string } }).error.code, 'SFU_UNKNOWN_RESOURCE');
      const patch = await fetch(`${origin.url}/${kind}/show1/${id}`, { method: 'PATCH', headers: { ...auth, 'Content-Type': 'application/trickle-ice-sdpfrag' }, body: 'a=x' });
      assert.is(patch.status, 404);
    }
    const noAuth = await fetch(`${origin.url}/${kind}/show1/0123456789abcdef0123456789abcdef`, { method: 'DELETE' });
    assert.is(noAuth.status, 401);
  });

  http(`${kind}: OPTIONS answers CORS preflight exposing Location and Link`, async () => {
    const res = await fetch(`${origin.url}/${kind}/show1`, { method: 'OPTIONS', headers: { Origin: 'http://example.test', 'Access-Control-Request-Method': 'POST' } });
    assert.is(res.status, 204);
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Location/);
    assert.match(res.headers.get('access-control-expose-headers') ?? '', /Link/);
    assert.match(res.headers.get('access-control-allow-headers') ?? '', /Authorization/);
  });
}

http('whep: unknown show is 404 SFU_UNKNOWN_SHOW; invalid show id too', async () => {
  const offer = `${GOOD_OFFER_HEAD}a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 AA\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n`;
  let r = await post('/whep/nobody-here', offer, { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token('whep', 'nobody-here')}` });
  assert.is(r.status, 404);
  assert.is(r.code, 'SFU_UNKNOWN_SHOW');
  r = await post(`/whep/${'x'.repeat(200)}`, offer, { 'Content-Type': 'application/sdp', Authorization: 'Bearer x' });
  assert.is(r.status, 404);
  assert.is(r.code, 'SFU_UNKNOWN_SHOW');
});

http('whip: an offer that only receives is 400 and oversize bodies are 413', async () => {
  const headers = { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token('whip', 'show1')}` };
  const recvOnly = `${GOOD_OFFER_HEAD}a=ice-ufrag:abcd\r\na=ice-pwd:abcdefghijklmnopqrstuv\r\na=fingerprint:sha-256 AA\r\nm=video 9 UDP/TLS/RTP/SAVPF 96\r\na=recvonly\r\n`;
  let r = await post('/whip/show1', recvOnly, headers);
  assert.is(r.status, 400);
  assert.is(r.code, 'SFU_BAD_SDP');
  r = await post('/whip/show1', `${GOOD_OFFER_HEAD}a=x:${'y'.repeat(70_000)}\r\n`, headers);
  assert.is(r.status, 413);
  assert.is(r.code, 'SFU_BODY_TOO_LARGE');
});

http('whep layer endpoint: bad body is 400, unknown resource 404', async () => {
  const auth = { Authorization: `Bearer ${token('whep', 'show1')}`, 'Content-Type': 'application/json' };
  let res = await fetch(`${origin.url}/whep/show1/0123456789abcdef0123456789abcdef/layer`, { method: 'POST', headers: auth, body: '{"layer":"ultra"}' });
  assert.is(res.status, 400);
  res = await fetch(`${origin.url}/whep/show1/0123456789abcdef0123456789abcdef/layer`, { method: 'POST', headers: auth, body: '{not json' });
  assert.is(res.status, 400);
  assert.is(((await res.json()) as { error: { code: string } }).error.code, 'SFU_BAD_REQUEST');
  res = await fetch(`${origin.url}/whep/show1/0123456789abcdef0123456789abcdef/layer`, { method: 'POST', headers: auth, body: '{"layer":"low"}' });
  assert.is(res.status, 404);
  assert.is(((await res.json()) as { error: { code: string } }).error.code, 'SFU_UNKNOWN_RESOURCE');
});

http('every error body is { error: { code, message } }, the shape signaling\'s routes answer too', async () => {
  const sdp = { 'Content-Type': 'application/sdp' };
  const replies = [
    await fetch(`${origin.url}/whip/show1`, { method: 'POST', headers: sdp, body: 'v=0' }),
    await fetch(`${origin.url}/whip/show1`, { method: 'POST', headers: { 'Content-Type': 'text/plain', Authorization: `Bearer ${token('whip', 'show1')}` }, body: 'x' }),
    await fetch(`${origin.url}/whep/nobody-here`, { method: 'POST', headers: { ...sdp, Authorization: `Bearer ${token('whep', 'nobody-here')}` }, body: GOOD_OFFER_HEAD }),
    await fetch(`${origin.url}/whep/show1/0123456789abcdef0123456789abcdef/layer`, { method: 'POST', headers: { 'Content-Type': 'application/json', Authorization: `Bearer ${token('whep', 'show1')}` }, body: '{' }),
  ];
  for (const res of replies) {
    const body = await res.json() as { error: Record<string, unknown> };
    assert.equal(Object.keys(body), ['error'], JSON.stringify(body));
    assert.equal(Object.keys(body.error).sort(), ['code', 'message']);
    assert.match(String(body.error.code), /^SFU_[A-Z_]+$/);
  }
});

http('metrics: SFU gauges register and scrape', async () => {
  const registry = new Registry();
  registerSfuMetrics(registry, engine);
  const text = await registry.metrics();
  assert.match(text, /sfu_worker_cpu_seconds\{worker="0"\} \d/);
  assert.match(text, /# TYPE sfu_show_viewers gauge/);
});

tokens.run();
http.run();
