/** `/metrics` is not public: a bearer token from METRICS_TOKEN, or (unset) loopback clients that came through no proxy. */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startServer } from './helpers.ts';

const t = suite('/metrics access');

t('with METRICS_TOKEN: only the bearer of that token reads the metrics', async () => {
  const run = await startServer({ env: { METRICS_TOKEN: 'scrape-me-0123456789' } });
  const get = (headers: Record<string, string> = {}) => fetch(`${run.url}/metrics`, { headers });
  for (const headers of [{}, { authorization: 'Bearer wrong-token-0123456789' }, { authorization: 'scrape-me-0123456789' }] as Record<string, string>[]) {
    const res = await get(headers);
    assert.is(res.status, 401, JSON.stringify(headers));
    assert.is((await res.json() as { error: { code: string } }).error.code, 'UNAUTHENTICATED');
  }
  const res = await get({ authorization: 'Bearer scrape-me-0123456789' });
  assert.is(res.status, 200);
  assert.match(await res.text(), /signaling_/);
  await run.server.close();
});

t('without METRICS_TOKEN: a loopback client reads them, a request forwarded by a proxy does not', async () => {
  const run = await startServer();
  assert.is((await fetch(`${run.url}/metrics`)).status, 200);
  for (const header of ['x-forwarded-for', 'forwarded', 'x-real-ip']) {
    const res = await fetch(`${run.url}/metrics`, { headers: { [header]: 'for=203.0.113.9' } });
    assert.is(res.status, 401, header);
  }
  await run.server.close();
});

t.run();
