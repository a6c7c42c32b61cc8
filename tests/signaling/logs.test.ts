/**
 * Logs carry pseudonyms at most: never IP addresses, tokens, signatures or
 * message bodies. The output of a whole flow is captured and searched.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Writable } from 'node:stream';
import { createLogger } from '../../signaling/logger.ts';
import { call, login, mediaArrives, next, ok, startServer, type Running } from './helpers.ts';

const t = suite('logs');
const lines: string[] = [];
const sink = new Writable({ write(chunk, _enc, cb) { lines.push(...String(chunk).split('\n').filter(Boolean)); cb(); } });
let run: Running;

t.before(async () => {
  run = await startServer({ logger: createLogger('trace', sink), env: { LOG_LEVEL: 'trace' } });
});
t.after(async () => { await run.server.close(); });

t('a flow logs pseudonyms and ids, never IPs, tokens, signatures or chat text', async () => {
  const model = await login(run.url, 'model');
  const viewer = await login(run.url, 'client');
  const opened = await ok(model.socket, 'show:open', {});
  await mediaArrives(run, model, opened.showId);
  const watch = await ok(viewer.socket, 'show:watch', { model: model.key });
  const got = next(model.socket, 'chat:message');
  await ok(viewer.socket, 'chat:send', { showId: opened.showId, text: 'confidential words 4411' });
  await got;
  await ok(model.socket, 'chat:ban', { target: viewer.key });
  await ok(model.socket, 'profile:set', { fields: { displayName: 'Real Name Here' } });
  await call(viewer.socket, 'session:resume', { token: 'x'.repeat(100) });
  await ok(model.socket, 'show:close', {});
  model.socket.close();
  viewer.socket.close();
  await new Promise((r) => setTimeout(r, 200));

  const text = lines.join('\n');
  assert.ok(lines.length >= 4, `expected some logs, got ${lines.length}`);
  assert.ok(text.includes(model.pseudonym), 'pseudonyms may appear');
  assert.ok(text.includes(opened.showId), 'ids may appear');
  for (const [what, needle] of [
    ['loopback IP', '127.0.0.1'], ['IPv6 loopback', '::1'], ['session token', model.token], ['session token', viewer.token],
    ['WHIP token', opened.whipToken], ['WHEP token', watch.whepToken], ['chat text', 'confidential words'],
    ['profile field', 'Real Name Here'], ['bad token', 'x'.repeat(100)],
  ] as const) {
    assert.not.ok(text.includes(needle), `${what} in the logs`);
  }
  for (const line of lines) JSON.parse(line); // structured: one JSON object per line
});

t('redaction catches a field that slips into a log call', () => {
  const captured: string[] = [];
  const log = createLogger('info', new Writable({ write(c, _e, cb) { captured.push(String(c)); cb(); } }));
  log.info({ token: 'SECRET-TOKEN', ip: '10.1.2.3', nested: { address: '10.9.9.9', signature: 'SIG' } }, 'oops');
  const out = captured.join('');
  assert.not.ok(out.includes('SECRET-TOKEN'));
  assert.not.ok(out.includes('10.1.2.3'));
  assert.not.ok(out.includes('10.9.9.9'));
  assert.not.ok(out.includes('SIG"'));
  assert.ok(out.includes('[redacted]'));
});

t.run();
