/**
 * A publisher whose media stops while its connection stays up (its ICE
 * expired on its side, its encoder hung): the engine marks the show stalled
 * within a few seconds (`showstalled`), `showresumed` when packets come back,
 * and ends the show (`showended`, reason `stalled`; viewers closed) when they
 * do not come back within the configured time. Real worker process, werift
 * publisher and viewer over loopback.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSfu, type Sfu } from '../../sfu/sfu.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { exitSoon, startOrigin, waitFor, type Origin } from './helpers/browser.ts';
import { publishWhip } from './helpers/weriftPublisher.ts';
import { joinWhep } from './helpers/weriftViewer.ts';

const secret = new Uint8Array(32).fill(29);
const STALL_MS = 1500;
const STALL_END_MS = 4000;
let sfu: Sfu;
let origin: Origin;

const stall = suite('stalled publisher');

stall.before(async () => {
  sfu = await createSfu({ workers: 1, listenIp: '127.0.0.1', stallAfterMs: STALL_MS, stallEndMs: STALL_END_MS });
  origin = await startOrigin(sfu.engine, secret);
});

stall.after(async () => {
  await origin?.close();
  await sfu?.close();
  exitSoon();
});

stall('media that stops marks the show stalled, media back resumes it, media gone for good ends it', async () => {
  const show = 'stalls';
  const events: { name: string; at: number; reason?: string }[] = [];
  const record = (name: string) => (s: string, reason?: unknown) => {
    if (s === show) events.push({ name, at: performance.now(), ...(typeof reason === 'string' ? { reason } : {}) });
  };
  sfu.engine.events.on('showstalled', record('showstalled'));
  sfu.engine.events.on('showresumed', record('showresumed'));
  sfu.engine.events.on('showended', record('showended'));
  const viewerClosed: string[] = [];
  sfu.engine.events.on('resourceclosed', (s, _r, role, reason) => { if (s === show && role === 'viewer') viewerClosed.push(reason); });

  const publisher = await publishWhip(`${origin.url}/whip/${show}`, mintSfuToken(secret, { kind: 'whip', showId: show, sub: 'model', ttlSeconds: 600 }));
  const viewer = await (async () => {
    await waitFor(() => sfu.engine.hasShow(show), 10_000, 'show live');
    return joinWhep({ endpoint: `${origin.url}/whep/${show}`, token: mintSfuToken(secret, { kind: 'whep', showId: show, sub: 'viewer', ttlSeconds: 600 }) });
  })();
  try {
    await waitFor(() => viewer.videoPackets() > 20, 10_000, 'viewer receiving');
    await new Promise((r) => setTimeout(r, STALL_MS + 700));
    assert.equal(events, [], 'flowing media is not a stall');

    publisher.pause();
    const pausedAt = performance.now();
    const stalled = await waitFor(() => events.find((e) => e.name === 'showstalled'), 5000, 'showstalled');
    const detectMs = stalled.at - pausedAt;
    console.log(`  stall detected ${Math.round(detectMs)} ms after the publisher stopped`);
    assert.ok(detectMs >= STALL_MS - 100 && detectMs <= STALL_MS + 1000, `stall detected after ${detectMs} ms`);
    assert.ok(sfu.engine.hasShow(show), 'a stalled show is not ended at once');
    assert.is(publisher.state(), 'connected', 'the publisher connection itself is still up: only the media tells');

    publisher.resume();
    await waitFor(() => events.find((e) => e.name === 'showresumed'), 3000, 'showresumed');
    const before = viewer.videoPackets();
    await waitFor(() => viewer.videoPackets() > before + 10, 5000, 'viewer receiving again');

    publisher.pause();
    const stoppedAt = performance.now();
    const ended = await waitFor(() => events.find((e) => e.name === 'showended'), STALL_MS + STALL_END_MS + 4000, 'showended');
    const endMs = ended.at - stoppedAt;
    console.log(`  show ended ${Math.round(endMs)} ms after the publisher stopped for good`);
    assert.is(ended.reason, 'stalled');
    assert.ok(endMs >= STALL_MS + STALL_END_MS - 200 && endMs <= STALL_MS + STALL_END_MS + 1500, `ended after ${endMs} ms`);
    assert.equal(events.map((e) => e.name), ['showstalled', 'showresumed', 'showstalled', 'showended']);
    await waitFor(() => viewerClosed.length > 0, 3000, 'viewer closed');
    assert.equal(viewerClosed, ['show-ended']);
    assert.not.ok(sfu.engine.hasShow(show));
  } finally {
    await viewer.close();
    await publisher.close();
  }
});

stall.run();
