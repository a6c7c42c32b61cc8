/**
 * A join storm: viewers join one show at 25 per second until its worker
 * refuses more (503 SFU_OVERLOADED with Retry-After). Ingest comes first:
 * the publisher stays connected and its show never stalls, and every
 * admitted viewer receives media. One real worker process, a werift
 * publisher, light WHEP viewers (ICE + DTLS, then packet counting).
 * JOIN_STORM_CPU_PERCENT sets the worker's join budget (default 60, so the
 * storm meets it within the runtime on a shared 2-core machine).
 */
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createSfu, type Sfu } from '../../sfu/sfu.ts';
import { mintSfuToken } from '../../sfu/tokens.ts';
import { exitSoon, startOrigin, waitFor, type Origin } from './helpers/browser.ts';
import { joinLight, type LightViewer } from './helpers/lightViewer.ts';
import { publishWhip, type WeriftPublisherClient } from './helpers/weriftPublisher.ts';

const secret = new Uint8Array(32).fill(31);
const show = 'storm';
const JOINS_PER_SECOND = 25;
const MAX_STORM_MS = 45_000;
/** The storm stops once this many joins in a row were refused (the worker is full, not blinking). */
const REFUSED_IN_A_ROW = 50;
const budget = Number(process.env.JOIN_STORM_CPU_PERCENT ?? 60) / 100;
let sfu: Sfu;
let origin: Origin;

const storm = suite('join storm');

storm.before(async () => {
  sfu = await createSfu({ workers: 1, listenIp: '127.0.0.1', joinCpuBudget: budget, stallAfterMs: 2000 });
  origin = await startOrigin(sfu.engine, secret);
});

storm.after(async () => {
  await origin?.close();
  await sfu?.close();
  exitSoon();
});

storm('viewers join at 25/s until 503: the publisher stays up, every admitted viewer gets media', async () => {
  const troubles: string[] = [];
  sfu.engine.events.on('showstalled', (s) => { if (s === show) troubles.push('showstalled'); });
  sfu.engine.events.on('showended', (s, reason) => { if (s === show) troubles.push(`showended ${reason}`); });
  const publisher: WeriftPublisherClient = await publishWhip(`${origin.url}/whip/${show}`, mintSfuToken(secret, { kind: 'whip', showId: show, sub: 'model', ttlSeconds: 600 }));
  const admitted: LightViewer[] = [];
  const refusals: { code: string | undefined; retryAfter: number | undefined; status: number }[] = [];
  let otherFailures = 0;
  const publisherStates = new Set<string>();
  const load: number[] = [];
  const watch = setInterval(() => {
    publisherStates.add(publisher.state());
    void sfu.engine.workerStats().then(([w]) => { if (w) load.push(w.cpuLoad); }, () => {});
  }, 250);
  try {
    await waitFor(() => sfu.engine.hasShow(show), 10_000, 'show live');
    const started = Date.now();
    let refusedInARow = 0;
    let n = 0;
    const joins: Promise<void>[] = [];
    while (refusedInARow < REFUSED_IN_A_ROW && Date.now() - started < MAX_STORM_MS) {
      const token = mintSfuToken(secret, { kind: 'whep', showId: show, sub: `viewer-${n++}`, ttlSeconds: 600 });
      joins.push(joinLight(`${origin.url}/whep/${show}`, token).then(async (v) => {
        if (v.status === 201) {
          refusedInARow = 0;
          if (await v.connected) admitted.push(v);
          else { otherFailures++; await v.close(); }
        } else if (v.status === 503) {
          refusedInARow++;
          refusals.push({ code: v.code, retryAfter: v.retryAfter, status: v.status });
        } else {
          otherFailures++;
        }
      }));
      await new Promise((r) => setTimeout(r, 1000 / JOINS_PER_SECOND));
    }
    const stormMs = Date.now() - started;
    await Promise.all(joins);

    // Every admitted viewer is receiving: its count grows over two seconds.
    await new Promise((r) => setTimeout(r, 1000));
    const before = admitted.map((v) => v.packets());
    await new Promise((r) => setTimeout(r, 3000));
    const gained = admitted.map((v, i) => v.packets() - before[i]!);
    // 3 s of 30 video + 50 audio packets/s is 240; a viewer that got under a fifth of that is not receiving.
    const starving = gained.filter((n) => n < 48).length;
    const stats = (await sfu.engine.showStats()).find((s) => s.showId === show);
    const maxLoad = Math.max(...load);
    const worstDelay = (await sfu.engine.workerStats())[0]!.worstLoopDelayMs;
    console.log(`  joins attempted: ${n} in ${(stormMs / 1000).toFixed(1)} s; admitted and receiving: ${admitted.length - starving}/${admitted.length}; ` +
      `fewest packets in 3 s: ${Math.min(...gained)}; refused (503): ${refusals.length}; other failures: ${otherFailures}; viewers at the SFU: ${stats?.viewers}; ` +
      `worker CPU max ${maxLoad.toFixed(2)} (budget ${budget}), worst loop delay ${worstDelay.toFixed(0)} ms; publisher states seen: ${[...publisherStates].join(',')}`);

    assert.ok(refusals.length > 0, 'the worker refused joins once at its budget');
    for (const r of refusals) {
      assert.is(r.code, 'SFU_OVERLOADED');
      assert.ok(r.retryAfter !== undefined && r.retryAfter > 0, 'a refusal says when to retry');
    }
    assert.ok(admitted.length >= 50, `admitted ${admitted.length}`);
    assert.is(starving, 0, `${starving} admitted viewers receive no media`);
    assert.is(otherFailures, 0, 'an admitted join connects');
    assert.equal([...publisherStates], ['connected'], 'the publisher stayed connected');
    assert.equal(troubles, [], 'the show never stalled or ended');
    assert.is(stats?.viewers, admitted.length);
    // The publisher's packets and STUN checks were never kept waiting anywhere near a consent timeout.
    assert.ok(worstDelay < 250, `worst event-loop delay ${worstDelay} ms`);
  } finally {
    clearInterval(watch);
    await Promise.all(admitted.map((v) => v.close()));
    await publisher.close();
  }
});

storm.run();
