/**
 * The headers the built client is served with (signaling/static-client.ts): a strict Content-Security-Policy on
 * the page and on every asset, no inline script or style allowed, network only to this origin (the chain is
 * reached through its RPC proxy), no framing, no referrer; the built index.html needs nothing inline.
 */
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import express from 'express';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { contentSecurityPolicy, staticClient } from '../../signaling/static-client.ts';
import { buildClient } from '../helpers/platform.ts';

/** `default-src 'none'; script-src 'self'` -> Map { default-src => ['none'], ... } */
function directives(policy: string): Map<string, string[]> {
  return new Map(policy.split(';').map((d) => d.trim().split(/\s+/)).filter((d) => d[0]).map(([name, ...values]) => [name!, values]));
}

const t = suite('static client headers');

t('the policy: own scripts and styles only, nothing inline, no eval, network only to this origin', () => {
  const p = directives(contentSecurityPolicy());
  assert.equal(p.get('default-src'), ["'none'"]);
  assert.equal(p.get('script-src'), ["'self'", "'wasm-unsafe-eval'"]);
  assert.equal(p.get('style-src'), ["'self'"]);
  assert.equal(p.get('connect-src'), ["'self'"]);
  assert.equal(p.get('frame-ancestors'), ["'none'"]);
  assert.equal(p.get('object-src'), ["'none'"]);
  assert.equal(p.get('base-uri'), ["'none'"]);
  for (const [name, values] of p) {
    for (const v of values) assert.not.ok(["'unsafe-inline'", "'unsafe-eval'", '*', 'https:', 'http:'].includes(v), `${name} ${v}`);
  }
  // A further origin is added as an origin, and nothing else gets in through it.
  assert.equal(directives(contentSecurityPolicy(['https://sfu1.example'])).get('connect-src'), ["'self'", 'https://sfu1.example']);
  for (const bad of ['*', "'unsafe-eval'", 'https://a.example; script-src *', 'https://a.example/path', 'ftp://a.example']) {
    assert.throws(() => contentSecurityPolicy([bad]), /CSP connect source/, bad);
  }
});

t('every file is served with the policy; the page is revalidated, hashed assets are kept', async () => {
  const root = mkdtempSync(join(tmpdir(), 'livecam-static-'));
  mkdirSync(join(root, 'assets'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  writeFileSync(join(root, 'assets', 'index-abc123.js'), 'export {};');
  const app = express().use(staticClient({ root }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    for (const path of ['/', '/index.html', '/assets/index-abc123.js']) {
      const res = await fetch(base + path);
      assert.is(res.status, 200, path);
      assert.is(res.headers.get('content-security-policy'), contentSecurityPolicy(), path);
      assert.is(res.headers.get('referrer-policy'), 'no-referrer');
      assert.is(res.headers.get('x-content-type-options'), 'nosniff');
    }
    assert.is((await fetch(`${base}/`)).headers.get('cache-control'), 'no-cache');
    assert.match((await fetch(`${base}/assets/index-abc123.js`)).headers.get('cache-control') ?? '', /immutable/);
  } finally {
    server.close();
  }
});

t('SFU hosts with their own origin are named in connect-src, asked again as hosts come and go; bad entries never widen it', async () => {
  const root = mkdtempSync(join(tmpdir(), 'livecam-static-'));
  writeFileSync(join(root, 'index.html'), '<!doctype html><title>t</title>');
  let hosts = ['https://sfu1.example:8441', 'https://sfu1.example:8441/', '*', 'https://a.example; script-src *'];
  let asked = 0;
  const app = express().use(staticClient({ root, connectSources: async () => { asked++; return hosts; } }));
  const server = app.listen(0, '127.0.0.1');
  await new Promise((r) => server.once('listening', r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  try {
    const connect = async () => directives((await fetch(`${base}/`)).headers.get('content-security-policy') ?? '').get('connect-src');
    assert.equal(await connect(), ["'self'", 'https://sfu1.example:8441']);
    // The page's own origin is 'self': an embedded host at the same origin adds nothing.
    hosts = [base];
    assert.equal(await connect(), ["'self'", 'https://sfu1.example:8441'], 'reused within its lifetime');
    assert.is(asked, 1);
  } finally {
    server.close();
  }
  const again = express().use(staticClient({ root, connectSources: async () => hosts }));
  const server2 = again.listen(0, '127.0.0.1');
  await new Promise((r) => server2.once('listening', r));
  const base2 = `http://127.0.0.1:${(server2.address() as AddressInfo).port}`;
  try {
    hosts = [base2, 'http://localhost:1'];
    const policy = (await fetch(`${base2}/`)).headers.get('content-security-policy') ?? '';
    assert.equal(directives(policy).get('connect-src'), ["'self'", 'http://localhost:1']);
  } finally {
    server2.close();
  }
});

t('the built page has no inline script, no inline style and no third-party URL', async () => {
  await buildClient();
  const html = readFileSync(fileURLToPath(new URL('../../client/dist/index.html', import.meta.url)), 'utf8');
  const scripts = [...html.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/g)];
  assert.ok(scripts.length > 0);
  for (const [, attrs, body] of scripts) {
    assert.match(attrs!, /\bsrc="\/assets\//);
    assert.is(body!.trim(), '', 'no inline script');
  }
  assert.not.match(html, /<style\b|\sstyle=|\son[a-z]+=/i, 'no inline style or handler');
  for (const [url] of html.matchAll(/(?:https?:)?\/\/[^\s"'<>]+/g)) assert.unreachable(`third-party URL in index.html: ${url}`);
});

t.run();
