/**
 * Origin/edge relay between two SFU processes (each its own host): a viewer
 * on the edge whose token names the origin plays the show; the origin feeds
 * the edge once however many viewers the edge has; a PLI from an edge viewer
 * reaches the origin; the edge's relay ends with its last viewer; the
 * origin's show ending closes the edge's viewers; a bad origin is refused.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { ShowStats } from '../../sfu/engine.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { exitSoon, waitFor } from './helpers/browser.ts';
import { publishWhip, type WeriftPublisherClient } from './helpers/weriftPublisher.ts';
import { joinWhep, type WeriftViewerClient } from './helpers/weriftViewer.ts';

const secret = Buffer.alloc(32, 7);
const SHOW = 'edge-show';
const HOST = fileURLToPath(new URL('./edge-relay-host.ts', import.meta.url));

interface Host { url: string; child: ChildProcess }
let origin: Host;
let edge: Host;
let publisher: WeriftPublisherClient;

async function startHost(): Promise<Host> {
  const child = spawn(process.execPath, ['--import', 'tsx', HOST], {
    env: { ...process.env, SFU_HOST_SECRET: secret.toString('hex') },
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening (\S+)/.exec(out);
      if (m) resolve(m[1]!);
    });
    child.once('exit', (code) => reject(new Error(`SFU host exited (${code})`)));
  });
  return { url, child };
}

const showOn = async (host: Host): Promise<ShowStats | undefined> => {
  const { shows } = await (await fetch(`${host.url}/test/stats`)).json() as { shows: ShowStats[] };
  return shows.find((s) => s.showId === SHOW);
};
const edgeToken = (originUrl: string = origin.url) =>
  mintSfuToken(secret, { kind: 'whep', showId: SHOW, sub: `v${Math.random()}`, ttlSeconds: 600, origin: originUrl });
const joinEdge = () => joinWhep({ endpoint: `${edge.url}/whep/${SHOW}`, token: edgeToken() });

const relay = suite('origin/edge relay between SFU hosts');

relay.before(async () => {
  [origin, edge] = await Promise.all([startHost(), startHost()]);
  publisher = await publishWhip(`${origin.url}/whip/${SHOW}`, mintSfuToken(secret, { kind: 'whip', showId: SHOW, sub: 'model', ttlSeconds: 600 }));
  await waitFor(async () => ((await showOn(origin))?.forwardedPackets ?? -1) >= 0 && (await showOn(origin))!.layers.length > 0, 15_000, 'the show on the origin');
});

relay.after(async () => {
  await publisher?.close();
  for (const h of [origin, edge]) h?.child.kill('SIGTERM');
  exitSoon();
});

relay('edge viewers play the show, fed by one relay from the origin', async () => {
  const viewers = [await joinEdge(), await joinEdge()];
  try {
    for (const v of viewers) await waitFor(() => v.firstFrameMs() !== undefined && v.audioPackets() > 10, 15_000, 'an edge viewer playing');
    const e = await waitFor(async () => { const s = await showOn(edge); return s?.viewers === 2 ? s : undefined; }, 10_000, 'two viewers on the edge');
    assert.ok(e.relayed, 'the edge serves a relayed copy');
    const o = (await showOn(origin))!;
    assert.is(o.relayFeeds, 1, 'the origin feeds the edge once');
    assert.is(o.viewers, 0, 'the edge viewers are not the origin\'s viewers');
    assert.ok(o.relayedPackets > 0);
    // A PLI from an edge viewer travels to the origin (then the publisher) and a keyframe comes back.
    const keyframes = viewers[0]!.keyframes();
    const before = o.relayKeyframeRequests;
    // A request landing in the edge's aggregation interval is dropped if a keyframe comes meanwhile: ask until one is forwarded.
    await waitFor(async () => {
      await viewers[0]!.requestKeyframe();
      return ((await showOn(origin))?.relayKeyframeRequests ?? 0) > before;
    }, 8000, 'the PLI at the origin', 400);
    await waitFor(() => viewers[0]!.keyframes() > keyframes, 5000, 'a keyframe at the edge viewer');
  } finally {
    for (const v of viewers) await v.close();
  }
  // The relay ends with the edge's last viewer: the edge forgets the show, the origin's feed ends.
  await waitFor(async () => (await showOn(edge)) === undefined, 10_000, 'the edge\'s copy to end');
  await waitFor(async () => (await showOn(origin))?.relayFeeds === 0, 10_000, 'the origin\'s feed to end');
  assert.is((await showOn(origin))!.relayFeedsEnded, 1);
});

relay('a token with a bad origin is refused with SFU_BAD_ORIGIN', async () => {
  // Signed with the right key (mintSfuToken refuses to write such a claim), so only the origin check stops it.
  for (const bad of ['ftp://127.0.0.1/', 'javascript:alert(1)', `http://127.0.0.1:1/${'x'.repeat(300)}`, 'http://user:pw@127.0.0.1/', 42]) {
    const body = Buffer.from(JSON.stringify({ kind: 'whep', showId: SHOW, sub: 'v', exp: Math.floor(Date.now() / 1000) + 60, origin: bad })).toString('base64url');
    const token = `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
    const res = await fetch(`${edge.url}/whep/${SHOW}`, { method: 'POST', headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${token}` }, body: 'v=0\r\n' });
    assert.is(res.status, 400, `origin ${String(bad)}`);
    assert.is(((await res.json()) as { error: { code: string } }).error.code, 'SFU_BAD_ORIGIN');
  }
  assert.throws(() => edgeToken('ftp://127.0.0.1/'), (e: Error & { code?: string }) => e.code === 'SFU_BAD_ORIGIN');
  // An origin that does not hold the show: the edge answers that nobody publishes it.
  const elsewhere = await fetch(`${edge.url}/whep/other-show`, {
    method: 'POST',
    headers: { 'Content-Type': 'application/sdp', Authorization: `Bearer ${mintSfuToken(secret, { kind: 'whep', showId: 'other-show', sub: 'v', ttlSeconds: 60, origin: origin.url })}` },
    body: (await offerSdp()),
  });
  assert.is(elsewhere.status, 404);
  assert.is(((await elsewhere.json()) as { error: { code: string } }).error.code, 'SFU_UNKNOWN_SHOW');
  // The relay route wants a relay token.
  const noRelay = await fetch(`${origin.url}/relay/${SHOW}`, { method: 'POST', headers: { Authorization: `Bearer ${edgeToken()}` } });
  assert.is(noRelay.status, 401);
});

relay('the origin\'s show ending closes the edge\'s viewers', async () => {
  const v = await joinEdge();
  await waitFor(() => v.firstFrameMs() !== undefined, 15_000, 'an edge viewer playing');
  const events = await fetch(new URL(`${v.location}/events`, edge.url));
  const closed = (async () => {
    const reader = events.body!.getReader();
    let text = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return text;
      text += Buffer.from(value).toString();
      if (/event: (closed|reconnect)/.test(text)) { await reader.cancel(); return text; }
    }
  })();
  await fetch(`${origin.url}/test/end/${SHOW}`, { method: 'POST' });
  const text = await Promise.race([closed, new Promise<string>((r) => setTimeout(() => r('timeout'), 15_000))]);
  assert.match(text, /event: closed/);
  await waitFor(async () => (await showOn(edge)) === undefined, 10_000, 'the edge\'s copy to end');
  await v.close();
});

/** A recvonly werift offer (the edge checks the SDP before it looks for the show). */
async function offerSdp(): Promise<string> {
  const { loopbackPeer } = await import('./helpers/loopbackPeer.ts');
  const pc = loopbackPeer();
  pc.addTransceiver('video', { direction: 'recvonly' });
  pc.addTransceiver('audio', { direction: 'recvonly' });
  await pc.setLocalDescription(await pc.createOffer());
  const sdp = pc.localDescription!.sdp;
  await pc.close();
  return sdp;
}

relay.run();
