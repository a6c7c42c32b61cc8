/**
 * WHIP/WHEP on the running platform with bad input: a clear 4xx with a JSON
 * error code, and the platform keeps serving afterwards.
 */
import { randomBytes } from 'node:crypto';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { deriveSecret } from '../../crypto/login.ts';
import type { Platform } from '../../signaling/platform.ts';
import { startTestPlatform } from '../helpers/platform.ts';

const secret = randomBytes(32);
// The platform signs and checks SFU tokens with a key derived from SESSION_SECRET for them (signaling/sfu-token-key.ts).
const sfuKey = await deriveSecret(secret, 'sfu-token');
interface Ctx { platform: Platform }
const bad = suite<Ctx>('WHIP/WHEP bad input on the platform');

bad.before(async (ctx) => {
  ctx.platform = await startTestPlatform({ SESSION_SECRET: secret.toString('base64'), SERVE_CLIENT: 'false' });
});
bad.after(async (ctx) => { await ctx.platform?.close(); });

async function post(url: string, body: string, headers: Record<string, string>): Promise<{ status: number; code: string | undefined }> {
  const res = await fetch(url, { method: 'POST', headers, body });
  const json = await res.json().catch(() => ({})) as { error?: { code?: string } };
  return { status: res.status, code: json.error?.code };
}

const token = (kind: 'whip' | 'whep', showId: string, ttlSeconds = 60, now = Date.now()) =>
  mintSfuToken(sfuKey, { kind, showId, sub: 'tester', ttlSeconds }, now);

for (const kind of ['whip', 'whep'] as const) {
  bad(`${kind}: no token, a forged token, another kind's token → 401`, async ({ platform }) => {
    const url = `${platform.url}/${kind}/show1`;
    const other = kind === 'whip' ? 'whep' : 'whip';
    const forged = mintSfuToken(randomBytes(32), { kind, showId: 'show1', sub: 'x', ttlSeconds: 60 });
    const rawSecret = mintSfuToken(secret, { kind, showId: 'show1', sub: 'x', ttlSeconds: 60 });
    for (const auth of [undefined, 'Bearer', 'Bearer garbage', `Bearer ${forged}`, `Bearer ${rawSecret}`, `Bearer ${token(other, 'show1')}`, `Basic ${token(kind, 'show1')}`]) {
      const headers: Record<string, string> = { 'content-type': 'application/sdp' };
      if (auth) headers.authorization = auth;
      const r = await post(url, 'v=0\r\n', headers);
      assert.is(r.status, 401, `${kind} with ${auth?.slice(0, 20)}`);
      assert.is(r.code, 'SFU_UNAUTHORIZED');
    }
  });

  bad(`${kind}: an expired token → 401 SFU_TOKEN_EXPIRED`, async ({ platform }) => {
    const expired = token(kind, 'show1', 60, Date.now() - 120_000);
    const r = await post(`${platform.url}/${kind}/show1`, 'v=0\r\n', { 'content-type': 'application/sdp', authorization: `Bearer ${expired}` });
    assert.is(r.status, 401);
    assert.is(r.code, 'SFU_TOKEN_EXPIRED');
  });

  bad(`${kind}: wrong content type → 415`, async ({ platform }) => {
    const r = await post(`${platform.url}/${kind}/show1`, '{"sdp":"v=0"}', { 'content-type': 'application/json', authorization: `Bearer ${token(kind, 'show1')}` });
    assert.is(r.status, 415);
    assert.is(r.code, 'SFU_BAD_CONTENT_TYPE');
  });
}

bad('whip: malformed SDP → 400 SFU_BAD_SDP', async ({ platform }) => {
  for (const sdp of ['hello', 'v=0\r\n', 'v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\nm=video 9 UDP/TLS/RTP/SAVPF\r\n']) {
    const r = await post(`${platform.url}/whip/show1`, sdp, { 'content-type': 'application/sdp', authorization: `Bearer ${token('whip', 'show1')}` });
    assert.is(r.status, 400, JSON.stringify(sdp));
    assert.is(r.code, 'SFU_BAD_SDP');
  }
});

bad('whep: a show nobody publishes → 404 SFU_UNKNOWN_SHOW', async ({ platform }) => {
  const r = await post(`${platform.url}/whep/show1`, 'hello', { 'content-type': 'application/sdp', authorization: `Bearer ${token('whep', 'show1')}` });
  assert.is(r.status, 404);
  assert.is(r.code, 'SFU_UNKNOWN_SHOW');
});

bad('DELETE of an unknown resource → 404', async ({ platform }) => {
  const res = await fetch(`${platform.url}/whip/show1/nope1234`, { method: 'DELETE', headers: { authorization: `Bearer ${token('whip', 'show1')}` } });
  assert.is(res.status, 404);
  assert.is(((await res.json()) as { error: { code: string } }).error.code, 'SFU_UNKNOWN_RESOURCE');
});

bad('the platform still serves after all of that', async ({ platform }) => {
  const res = await fetch(`${platform.url}/healthz`);
  assert.is(res.status, 200);
  assert.is(((await res.json()) as { ok: boolean }).ok, true);
});

bad.run();
