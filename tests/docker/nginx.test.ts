/**
 * The compose entry point's nginx configuration, run by a real nginx (Debian's) on loopback: the templates are
 * rendered as the nginx image does (envsubst of the variables it is given), with the compose network names
 * pointed at loopback servers. It passes WebSocket upgrades through (socket.io, websocket only, as the client
 * connects), writes the peer's address into X-Forwarded-For whatever the client sent, drops X-Real-IP and
 * Forwarded, keeps serving when one signaling node is down, streams an SFU event stream unbuffered, and in
 * production redirects HTTP to HTTPS and serves TLS on every port.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createServer as netServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Server as IoServer } from 'socket.io';
import { io } from 'socket.io-client';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { root } from './compose.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** uvu 0.5 reports a failed hook only as 0 passed: say why. */
const said = (hook: () => Promise<void>) => async () => { try { await hook(); } catch (err) { console.error(err); throw err; } };
const dir = mkdtempSync(join(tmpdir(), 'livecam-nginx-'));

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = netServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => { const { port } = s.address() as { port: number }; s.close(() => resolve(port)); });
  });
}

/** A stand-in upstream: says who it is and the forwarding headers it got; a socket.io server; an event stream. */
function upstream(name: string): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req: IncomingMessage, res) => {
    if (req.url === '/events') {
      res.writeHead(200, { 'Content-Type': 'text/event-stream' });
      res.write('data: first\n\n');
      return; // stays open: only an unbuffered proxy passes the first event on
    }
    res.writeHead(200, { 'Content-Type': 'application/json' });
    res.end(JSON.stringify({ name, xff: req.headers['x-forwarded-for'] ?? null, realIp: req.headers['x-real-ip'] ?? null, forwarded: req.headers.forwarded ?? null, proto: req.headers['x-forwarded-proto'] ?? null }));
  });
  const ioServer = new IoServer(server, { transports: ['websocket'] });
  ioServer.on('connection', (socket) => socket.on('who', (ack: (n: string) => void) => ack(name)));
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({
    server, port: (server.address() as { port: number }).port,
    close: () => new Promise<void>((r) => { ioServer.close(); server.closeAllConnections(); server.close(() => r()); }),
  })));
}

/** Renders docker/nginx/<profile>.conf.template as the nginx image would, then points compose names at loopback. */
function render(profile: string, ports: Record<number, number>, upstreams: { a: number; b: number; sfu1: number; sfu2: number }, cert: { crt: string; key: string }): string {
  let text = readFileSync(join(root, 'docker', 'nginx', `${profile}.conf.template`), 'utf8');
  text = text.replaceAll('${SFU_1_PORT}', String(upstreams.sfu1)).replaceAll('${SFU_2_PORT}', String(upstreams.sfu2));
  assert.not.match(text, /\$\{/, 'every template variable is one compose.yml gives the entry');
  text = text.replace('signaling-a:8080', `127.0.0.1:${upstreams.a}`).replace('signaling-b:8080', `127.0.0.1:${upstreams.b}`)
    .replaceAll('host.docker.internal', '127.0.0.1')
    .replace(/listen (\d+)/g, (_m, p: string) => `listen 127.0.0.1:${ports[Number(p)]}`)
    .replace('/etc/nginx/certs/fullchain.pem', cert.crt).replace('/etc/nginx/certs/privkey.pem', cert.key)
    .replaceAll('/etc/nginx/snippets/livecam-proxy.conf', join(root, 'docker', 'nginx', 'proxy.conf'));
  const base = join(dir, profile);
  mkdirSync(base, { recursive: true });
  writeFileSync(join(base, 'site.conf'), text);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((t) => `${t}_temp_path ${join(base, t)};`).join(' ');
    // One process as the test's own user (temp directories are chowned to `user`; nobody is unmapped in the namespace).
  writeFileSync(join(base, 'nginx.conf'), `daemon off; master_process off; user root root; pid ${join(base, 'nginx.pid')}; error_log ${join(base, 'error.log')} warn;
events {}
http { ${temp} include ${join(base, 'site.conf')}; }
`);
  return join(base, 'nginx.conf');
}

async function startNginx(conf: string, port: number): Promise<ChildProcess> {
  const test = spawnSync('nginx', ['-t', '-c', conf, '-p', dir], { encoding: 'utf8' });
  assert.is(test.status, 0, `nginx -t:\n${test.stderr}`);
  const child = spawn('nginx', ['-c', conf, '-p', dir], { stdio: 'ignore' });
  for (const deadline = Date.now() + 10_000; Date.now() < deadline && child.exitCode === null;) {
    if (await new Promise<boolean>((r) => { const s = netServer().once('error', () => r(true)).listen(port, '127.0.0.1', () => s.close(() => r(false))); })) return child;
    await sleep(50);
  }
  throw new Error(`nginx did not listen on ${port}`);
}

async function stop(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await Promise.race([exited, sleep(3_000)]);
  if (child.exitCode === null) child.kill('SIGKILL');
}

const cert = { crt: join(dir, 'fullchain.pem'), key: join(dir, 'privkey.pem') };
const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', '/CN=cam.test', '-keyout', cert.key, '-out', cert.crt], { encoding: 'utf8' });
if (made.status !== 0) throw new Error(`openssl: ${made.stderr}`);

type Up = Awaited<ReturnType<typeof upstream>>;
let a: Up, b: Up, sfu1: Up, sfu2: Up;
const ups = async () => { [a, b, sfu1, sfu2] = await Promise.all([upstream('a'), upstream('b'), upstream('sfu-1'), upstream('sfu-2')]); };
const downs = async () => { await Promise.all([a, b, sfu1, sfu2].map((u) => u?.close().catch(() => undefined))); };

const dev = suite('nginx dev entry');
let devNginx: ChildProcess | undefined;
let devPorts: Record<number, number> = {};

dev.before(said(async () => {
  await ups();
  devPorts = { 80: await freePort(), 8441: await freePort(), 8442: await freePort() };
  devNginx = await startNginx(render('dev', devPorts, { a: a.port, b: b.port, sfu1: sfu1.port, sfu2: sfu2.port }, cert), devPorts[80]!);
}));
dev.after(async () => { await stop(devNginx); await downs(); });

dev('the client address is the peer\'s: a forged X-Forwarded-For, X-Real-IP or Forwarded never reaches signaling', async () => {
  const res = await fetch(`http://127.0.0.1:${devPorts[80]}/api/x`, { headers: { 'X-Forwarded-For': '6.6.6.6', 'X-Real-IP': '6.6.6.6', Forwarded: 'for=6.6.6.6' } });
  const body = (await res.json()) as { name: string; xff: string; realIp: string | null; forwarded: string | null; proto: string };
  assert.ok(['a', 'b'].includes(body.name));
  assert.equal([body.xff, body.realIp, body.forwarded, body.proto], ['127.0.0.1', null, null, 'http']);
});

dev('socket.io over WebSocket through the entry; both nodes serve; one node down, the other answers', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) seen.add(((await (await fetch(`http://127.0.0.1:${devPorts[80]}/`)).json()) as { name: string }).name);
  assert.equal([...seen].sort(), ['a', 'b'], 'round robin over both signaling nodes');
  const socket = io(`http://127.0.0.1:${devPorts[80]}`, { transports: ['websocket'], reconnection: false });
  try {
    const name = await new Promise<string>((resolve, reject) => {
      socket.once('connect_error', reject);
      socket.once('connect', () => socket.emit('who', resolve));
    });
    assert.ok(['a', 'b'].includes(name));
  } finally {
    socket.close();
  }
  await a.close();
  for (let i = 0; i < 4; i++) {
    const res = await fetch(`http://127.0.0.1:${devPorts[80]}/`);
    assert.is(res.status, 200);
    assert.is(((await res.json()) as { name: string }).name, 'b');
  }
});

dev('each SFU port reaches its host; an event stream is not buffered', async () => {
  for (const [port, name] of [[devPorts[8441]!, 'sfu-1'], [devPorts[8442]!, 'sfu-2']] as const) {
    assert.is(((await (await fetch(`http://127.0.0.1:${port}/whep`)).json()) as { name: string }).name, name);
  }
  const controller = new AbortController();
  const res = await fetch(`http://127.0.0.1:${devPorts[8441]}/events`, { signal: controller.signal });
  const reader = res.body!.getReader();
  const first = await Promise.race([reader.read(), sleep(5_000).then(() => null)]);
  controller.abort();
  assert.ok(first && !first.done, 'the first event arrives while the stream stays open');
  assert.match(Buffer.from(first!.value!).toString(), 'data: first');
});

const production = suite('nginx production entry');
let prodNginx: ChildProcess | undefined;
let prodPorts: Record<number, number> = {};

production.before(said(async () => {
  await ups();
  prodPorts = { 80: await freePort(), 443: await freePort(), 8441: await freePort(), 8442: await freePort() };
  prodNginx = await startNginx(render('production', prodPorts, { a: a.port, b: b.port, sfu1: sfu1.port, sfu2: sfu2.port }, cert), prodPorts[443]!);
}));
production.after(async () => { await stop(prodNginx); await downs(); rmSync(dir, { recursive: true, force: true }); });

function httpsGet(port: number, path: string): Promise<{ status: number; body: string; hsts: string | undefined }> {
  return new Promise((resolve, reject) => {
    const req = httpsRequest({ host: '127.0.0.1', port, path, rejectUnauthorized: false, servername: 'cam.test' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => { body += d; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body, hsts: res.headers['strict-transport-security'] as string | undefined }));
    });
    req.once('error', reject);
    req.end();
  });
}

production('HTTP redirects to HTTPS; TLS on the web port and both SFU ports, X-Forwarded-Proto https', async () => {
  const plain = await fetch(`http://127.0.0.1:${prodPorts[80]}/#/`, { redirect: 'manual' });
  assert.is(plain.status, 301);
  assert.match(plain.headers.get('location') ?? '', /^https:\/\//);
  const web = await httpsGet(prodPorts[443]!, '/');
  assert.is(web.status, 200);
  assert.match(web.hsts ?? '', /max-age=/);
  const body = JSON.parse(web.body) as { xff: string; proto: string };
  assert.equal([body.xff, body.proto], ['127.0.0.1', 'https']);
  for (const [port, name] of [[prodPorts[8441]!, 'sfu-1'], [prodPorts[8442]!, 'sfu-2']] as const) {
    assert.is((JSON.parse((await httpsGet(port, '/whip')).body) as { name: string }).name, name);
  }
});

dev.run();
production.run();
