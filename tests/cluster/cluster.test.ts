/**
 * The cluster of issue 15 on loopback: Redis, a chain, two signaling processes (SFU_MODE=remote) behind
 * nginx, two SFU hosts (`npm run sfu`, each its own SFU_HOST_ID and public URL, one worker with a budget of
 * two viewers). A model whose socket reaches signaling A through the entry point publishes from Chromium to
 * SFU 1; a viewer whose socket reaches signaling B plays it in Chromium; werift viewers are added until the
 * show spills to SFU 2 as an edge; viewers on both hosts get frames; SFU 2 is drained (SIGTERM) and its viewer
 * moves (its WHEP event stream says `reconnect`, it asks signaling again and lands on SFU 1) and plays on;
 * signaling A is stopped (SIGTERM) and the model's socket comes back through nginx on B while the show stays
 * public and the browser viewer keeps decoding.
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { randomBytes } from 'node:crypto';
import type { Page } from 'playwright-core';
import { createClient } from 'redis';
import { startDevChain, type DevChain } from '../../contracts/devchain.ts';
import { createIdentity } from '../../crypto/identity.ts';
import { Session } from '../../client/services/session.ts';
import { verifySfuToken } from '../../sfu/tokens.ts';
import { deriveSecret } from '../../crypto/login.ts';
import { RedisSfuHosts } from '../../signaling/sfu-hosts.ts';
import { freePort, startRedis, type RedisHandle } from '../signaling/helpers.ts';
import { launchBrowser, waitFor, exitSoon, type Browser } from '../sfu/helpers/browser.ts';
import { joinWhep, type WeriftViewerClient } from '../sfu/helpers/weriftViewer.ts';
import { PAGE_SCRIPT } from '../sfu/helpers/pageScript.ts';
import { connectionsOf, nodeScript, readUntil, startNginx, startProc, type Proc } from './processes.ts';

const t = suite('a cluster: two signaling processes behind nginx, two SFU hosts');
const SECRET = randomBytes(32).toString('base64');
let redis: RedisHandle;
let chain: DevChain;
let nginx: Proc;
let entry = '';
const signaling = new Map<number, Proc>();
const sfu: Record<'sfu-1' | 'sfu-2', { proc: Proc; url: string }> = {} as never;
let browser: Browser;
const pages: Page[] = [];
const errors: string[] = [];
const sessions: Session[] = [];
const viewers: WeriftViewerClient[] = [];
let hostsClient: ReturnType<typeof createClient>;

t.before(async () => {
  [redis, chain] = await Promise.all([startRedis(), startDevChain({ port: 0, demoAccounts: 1 })]);
  const [portA, portB, portEntry, port1, port2] = await Promise.all([freePort(), freePort(), freePort(), freePort(), freePort()]);
  entry = `http://127.0.0.1:${portEntry}`;
  const common = { HOST: '127.0.0.1', LOG_LEVEL: 'warn', REDIS_URL: redis.url, SESSION_SECRET: SECRET, MASTER_KEYS: `k1:${SECRET}` };
  const signalingEnv = (port: number) => ({
    ...common, PORT: String(port), PUBLIC_URL: entry, SFU_MODE: 'remote', SERVE_CLIENT: 'false',
    RPC_URL: chain.rpcUrl, LIVE_TOKEN_ADDRESS: chain.addresses.token, LIVE_CHANNELS_ADDRESS: chain.addresses.channels,
    MIN_CHALLENGE_PERIOD_SECONDS: '60', AGE_VERIFICATION: 'off',
    TURN_URLS: 'turn:127.0.0.1:3478', TURN_SECRET: 'cluster-test-turn-secret',
    // Every client comes through nginx on 127.0.0.1.
    ADDRESS_RATE_LIMITS: 'off', MAX_CONNECTIONS_PER_ADDRESS: '0',
  });
  const sfuEnv = (id: string, port: number) => ({
    ...common, PORT: String(port), SFU_HOST_ID: id, SFU_PUBLIC_URL: `http://127.0.0.1:${port}`,
    SFU_WORKERS: '1', SFU_VIEWERS_PER_WORKER: '2', SFU_DRAIN_SECONDS: '8',
  });
  const [a, b, s1, s2] = await Promise.all([
    startProc('signaling A', nodeScript('signaling/main.ts'), signalingEnv(portA), /LiveCam is running/),
    startProc('signaling B', nodeScript('signaling/main.ts'), signalingEnv(portB), /LiveCam is running/),
    startProc('sfu-1', nodeScript('signaling/sfu-main.ts'), sfuEnv('sfu-1', port1), /SFU host sfu-1 at/),
    startProc('sfu-2', nodeScript('signaling/sfu-main.ts'), sfuEnv('sfu-2', port2), /SFU host sfu-2 at/),
  ]);
  signaling.set(portA, a).set(portB, b);
  sfu['sfu-1'] = { proc: s1, url: `http://127.0.0.1:${port1}` };
  sfu['sfu-2'] = { proc: s2, url: `http://127.0.0.1:${port2}` };
  nginx = await startNginx(portEntry, [portA, portB]);
  hostsClient = createClient({ url: redis.url });
  await hostsClient.connect();
  browser = await launchBrowser();
});

t.after(async () => {
  for (const s of sessions) s.close();
  for (const v of viewers) await v.close().catch(() => undefined);
  await browser?.close();
  await Promise.all([...signaling.values(), ...Object.values(sfu).map((s) => s.proc)].map((p) => p.stop(5_000)));
  await nginx?.stop();
  await hostsClient?.close().catch(() => undefined);
  await redis?.stop();
  await chain?.close();
  exitSoon();
});

/** A logged-in session through the entry point, and the signaling process (by port) its socket reached. */
async function sessionVia(role: 'model' | 'client', avoid?: number): Promise<{ session: Session; port: number }> {
  for (let attempt = 0; attempt < 4; attempt++) {
    const before = new Map(await Promise.all([...signaling.keys()].map(async (p) => [p, await connectionsOf(p)] as const)));
    const identity = await createIdentity();
    const session = new Session({ role, identities: { get: async () => identity }, url: entry, timeoutMs: 15_000 });
    await session.login();
    const port = await waitFor(async () => {
      for (const p of signaling.keys()) if (await connectionsOf(p) > before.get(p)!) return p;
      return 0;
    }, 10_000, 'the socket to show up on one signaling process');
    if (port !== avoid) { sessions.push(session); return { session, port }; }
    session.close(); // round robin: the next connection goes to the other process
  }
  throw new Error('nginx never sent a socket to the other signaling process');
}

/** A blank page from the entry point with the WHIP/WHEP test script (tests/sfu/helpers/pageScript.ts). */
async function page(): Promise<Page> {
  const p = await browser.context.newPage();
  p.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
  p.on('pageerror', (e) => errors.push(String(e)));
  await p.goto(`${entry}/blank`);
  await p.addScriptTag({ content: PAGE_SCRIPT });
  pages.push(p);
  return p;
}

const hostLoad = async (id: string) => (await new RedisSfuHosts(hostsClient).get(id))?.viewers ?? -1;

t('a show placed on SFU 1 through A, played through B, spills to SFU 2, survives draining SFU 2 and stopping A', async () => {
  const sfuKey = await deriveSecret(Buffer.from(SECRET, 'base64'), 'sfu-token');
  // --- the model, through the entry point, lands on one process: call it A ---------------------
  const { session: model, port: portA } = await sessionVia('model');
  const opened = await model.request('show:open', {});
  assert.is(opened.whipUrl, `${sfu['sfu-1'].url}/whip/${opened.showId}`, 'both hosts empty: placed on sfu-1 (by id), absolute URL');
  const modelPage = await page();
  await modelPage.evaluate((a) => (window as never as { sfuTest: { publish(a: unknown): Promise<number> } }).sfuTest.publish(a),
    { endpoint: opened.whipUrl, token: opened.whipToken, simulcast: false, width: 320, height: 240 });

  // --- a viewer whose socket is on B plays it in Chromium ----------------------------------------
  const { session: viewer, port: portB } = await sessionVia('client', portA);
  const watch = await waitFor(() => viewer.request('show:watch', { model: model.info!.key }).catch(() => null), 20_000, 'the show to go public');
  assert.is(watch.whepUrl, `${sfu['sfu-1'].url}/whep/${opened.showId}`);
  const viewerPage = await page();
  type Stats = { framesDecoded: number };
  const sfuTest = (p: Page) => ({
    view: (a: unknown) => p.evaluate((x) => (window as never as { sfuTest: { view(a: unknown): Promise<number> } }).sfuTest.view(x), a),
    frames: (id: number) => p.evaluate((i) => (window as never as { sfuTest: { videoStats(i: number): Promise<Stats> } }).sfuTest.videoStats(i), id).then((s) => s.framesDecoded),
  });
  const browserViewer = await sfuTest(viewerPage).view({ endpoint: watch.whepUrl, token: watch.whepToken });
  await waitFor(async () => await sfuTest(viewerPage).frames(browserViewer) >= 10, 20_000, 'the browser viewer on B to decode frames');

  // --- werift viewers until the show spills to SFU 2 ---------------------------------------------
  const second = await viewer.request('show:watch', { model: model.info!.key });
  assert.is(second.whepUrl, `${sfu['sfu-1'].url}/whep/${opened.showId}`, 'sfu-1 under its budget of 2');
  viewers.push(await joinWhep({ endpoint: second.whepUrl, token: second.whepToken }));
  await waitFor(async () => await hostLoad('sfu-1') >= 2, 10_000, 'sfu-1 to report 2 viewers');
  const spilled = await viewer.request('show:watch', { model: model.info!.key });
  assert.is(spilled.whepUrl, `${sfu['sfu-2'].url}/whep/${opened.showId}`, 'beyond the budget: the edge');
  assert.is(verifySfuToken(sfuKey, spilled.whepToken, 'whep', opened.showId).origin, sfu['sfu-1'].url);
  // The edge serves a show it does not hold by pulling it from the origin in the token (the relay's part).
  const edgeViewer = await joinWhep({ endpoint: spilled.whepUrl, token: spilled.whepToken }).catch((err: Error) => {
    throw new Error(`the edge host did not serve a show it does not hold from the origin in the token (sfu/relay/): ${err.message}`);
  });
  viewers.push(edgeViewer);
  await waitFor(() => edgeViewer.firstFrameMs() !== undefined && viewers[0]!.firstFrameMs() !== undefined, 20_000, 'frames on both hosts');

  // --- draining SFU 2 moves its viewer, which plays on ----------------------------------------------
  const events = await fetch(`${edgeViewer.location}/events`);
  const drained = sfu['sfu-2'].proc.stop(30_000);
  await readUntil(events.body!, /event: reconnect\ndata: \{"reason":"draining"\}/, 10_000, 'reconnect (draining) on the edge viewer\'s event stream');
  await waitFor(async () => (await new RedisSfuHosts(hostsClient).get('sfu-2'))?.draining ?? true, 5_000, 'sfu-2 listed as draining');
  const moved = await viewer.request('show:watch', { model: model.info!.key });
  assert.is(moved.whepUrl, `${sfu['sfu-1'].url}/whep/${opened.showId}`, 'no edge with room: back to the origin');
  const movedViewer = await joinWhep({ endpoint: moved.whepUrl, token: moved.whepToken });
  viewers.push(movedViewer);
  await edgeViewer.close(); // leaving the draining host: it is empty now
  await waitFor(() => movedViewer.firstFrameMs() !== undefined, 20_000, 'the moved viewer\'s first frame on sfu-1');
  assert.is(await drained, 0, `sfu-2 exits cleanly once empty:\n${sfu['sfu-2'].proc.output().slice(-2000)}`);

  // --- stopping A moves the model's socket to B; the show goes on -------------------------------------
  let relogins = 0;
  model.events.on('login', () => { relogins++; });
  let ended = false;
  viewer.listen('show:ended', () => { ended = true; });
  const framesBefore = await sfuTest(viewerPage).frames(browserViewer);
  assert.is(await signaling.get(portA)!.stop(20_000), 0, 'A exits cleanly');
  await waitFor(() => relogins > 0 && model.state === 'online', 20_000, 'the model\'s session back online through nginx');
  assert.ok(await connectionsOf(portB) >= 2, 'both sessions on B now');
  const reopened = await model.request('show:open', {});
  assert.equal([reopened.showId, reopened.whipUrl], [opened.showId, opened.whipUrl], 'the same show, on the same host');
  const { models } = await viewer.request('directory:subscribe', {});
  assert.is(models.find((m) => m.key === model.info!.key)?.status, 'public');
  await waitFor(async () => await sfuTest(viewerPage).frames(browserViewer) > framesBefore + 20, 15_000, 'the browser viewer to keep decoding');
  const packets = movedViewer.videoPackets();
  await waitFor(() => movedViewer.videoPackets() > packets + 20, 10_000, 'the moved viewer to keep receiving');
  // sfu-1's events are followed from B now (A gave its leases back): a viewer leaving is counted there.
  const viewersOf = async () => (await viewer.request('directory:subscribe', {})).models.find((m) => m.key === model.info!.key)?.viewers;
  assert.is(await waitFor(async () => (await viewersOf()) === 3, 10_000, 'three viewers on sfu-1'), true);
  await movedViewer.close();
  await waitFor(async () => (await viewersOf()) === 2, 10_000, 'the count to follow a viewer leaving sfu-1, through B');
  assert.not.ok(ended, 'the show never ended');
  assert.equal(errors, [], 'no console error on any page');
});

t.run();
