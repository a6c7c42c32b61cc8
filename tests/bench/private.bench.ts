/**
 * `npm run bench:private`: private calls through real coturn, as people make them. A client and a model (two
 * Chromium pages with the fake camera, the real client services) on the dev chain: for each call the client
 * requests on its channel (the server checks the deposit on-chain), the model accepts (it reads the channel on-chain,
 * the server checks it again and hands out TURN credentials), both connect relay-only, each verifies the other's
 * signed DTLS fingerprint against the pinned key, the SDP and the live certificate, and the first voucher is paid.
 *
 * accept_to_first_frame: from the model's accept (the click: private:accept with the server's on-chain check, TURN
 * credentials, offer, answer, ICE through coturn, DTLS, fingerprint checks) to the later of the two sides' first
 * presented remote video frame (requestVideoFrameCallback). What the studio does while its prompt is on screen
 * (pinning the client's key, reading the channel on-chain, turning the camera on) happens before the click, as in
 * the UI; so does what the client's call does while its request waits (its connection, tracks and offer, without
 * ICE servers until the accept brings them). One warm-up call is not counted. Prints `name: value unit`;
 * `BENCH_TRACE=1` also prints, on stderr, each step's median time after the accept on both sides (and every step
 * of a call that did not complete), `BENCH_CALLS=n` measures n calls.
 * Runs inside a loopback-only network namespace (re-executes itself there).
 */
import { runOnLoopback } from './loopback.ts';
import { Wallet, parseUnits } from 'ethers';
import { connectChannels } from '../../contracts/client.ts';
import { launchChromium } from '../helpers/chromium.ts';
import { startCallRig } from '../helpers/call-rig.ts';
import { agentPage, until } from '../client/call-pages.ts';

const CALLS = Number(process.env.BENCH_CALLS ?? 20);
/** `BENCH_TRACE=1`: also print, per step of a call, its median time after the accept on each side (stderr). */
const TRACE = process.env.BENCH_TRACE === '1';
const PRICE = parseUnits('1', 18);


function percentile(sorted: number[], p: number): number {
  const i = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[i]!;
}

async function main(): Promise<void> {
  const rig = await startCallRig({ privateRequestTimeoutMs: 30_000 });
  // Two browsers, as two people on two devices: a page in the background of one browser is not painted.
  const [modelBrowser, clientBrowser] = await Promise.all([launchChromium(), launchChromium()]);
  try {
    const [m, c] = rig.chain.demoAccounts;
    const model = await agentPage(modelBrowser, rig, { role: 'model', privateKey: m!.privateKey, db: 'bench-model', trace: TRACE });
    const client = await agentPage(clientBrowser, rig, { role: 'client', privateKey: c!.privateKey, db: 'bench-client', trace: TRACE });
    const modelKey = await model.page.evaluate((p) => agent.start({ pricePerMinute: p, minMinutes: 1 }), PRICE.toString());
    await client.page.evaluate(() => agent.start());
    await connectChannels(new Wallet(c!.privateKey, rig.chain.provider), rig.chain.addresses).openWithPermit(m!.address, parseUnits('1000', 18));

    const times: number[] = [];
    const steps = new Map<string, number[]>();
    let completed = 0;
    let relayOnly = 0;
    for (let i = 0; i <= CALLS; i++) {
      try {
        await client.page.evaluate((o) => agent.request(o), { modelKey, modelWallet: m!.address, pricePerMinute: PRICE.toString(), minMinutes: 1 });
        await model.page.evaluate(() => agent.waitRequest());
        // What the studio does while the prompt is on screen (pin, channel read, camera); then the click.
        await model.page.evaluate(() => agent.prepare());
        await model.page.evaluate(() => agent.accept());
        const [mf, cf] = await Promise.all([
          until(model.page, () => agent.log.firstFrameAt, 20_000, 'the model sees the client'),
          until(client.page, () => agent.log.firstFrameAt, 20_000, 'the client sees the model'),
        ]);
        const acceptAt = (await model.page.evaluate(() => agent.log.acceptAt))!;
        await Promise.all([model, client].map((s) => until(s.page, () => agent.log.verified, 10_000, 'verified')));
        const pairs = [
          ...(await model.page.evaluate(async () => (await agent.media()).pairs)),
          ...(await client.page.evaluate(async () => (await agent.media()).pairs)),
        ];
        if (i === 0) continue; // warm-up: first getUserMedia, first bundle parse, first TURN allocation
        completed++;
        if (pairs.length >= 2 && pairs.every(([a, b]) => a === 'relay' && b === 'relay')) relayOnly++;
        times.push(Math.max(mf, cf) - acceptAt);
        if (TRACE) {
          for (const [side, page] of [['model', model.page], ['client', client.page]] as const) {
            const seen = new Set<string>();
            for (const m of await page.evaluate(() => agent.log.marks)) {
              const name = `${side}: ${m.name}`;
              if (seen.has(name)) continue; // the first time each step happens
              seen.add(name);
              steps.set(name, [...(steps.get(name) ?? []), Math.round(m.at - acceptAt)]);
            }
          }
        }
      } catch (err) {
        // A call that did not complete is counted as such (calls_completed), not measured.
        console.error(`call ${i}: ${(err as Error).message}`);
        if (TRACE) {
          for (const [side, page] of [['model', model.page], ['client', client.page]] as const) {
            const marks = await page.evaluate(() => agent.log.marks);
            const t0 = marks[0]?.at ?? 0;
            console.error(`  ${side}: ${marks.map((m) => `${Math.round(m.at - t0)} ${m.name}${m.detail ? ` [${m.detail}]` : ''}`).join(' | ')}`);
          }
        }
      } finally {
        await client.page.evaluate(() => agent.call?.end());
        await until(model.page, () => agent.log.ended, 10_000, 'the model sees the end').catch(() => undefined);
      }
    }
    if (TRACE) {
      const rows = [...steps].map(([name, at]) => [name, percentile(at.sort((a, b) => a - b), 50), at.length] as const);
      for (const [name, p50, n] of rows.sort((a, b) => a[1] - b[1])) console.error(`${String(p50).padStart(6)} ms  ${name} (${n})`);
    }
    times.sort((a, b) => a - b);
    console.log(`accept_to_first_frame_p50_ms: ${percentile(times, 50)} ms`);
    console.log(`accept_to_first_frame_p95_ms: ${percentile(times, 95)} ms`);
    console.log(`accept_to_first_frame_max_ms: ${times.at(-1)} ms`);
    console.log(`calls_completed: ${completed} count`);
    console.log(`calls_relay_only: ${relayOnly} count`);
  } finally {
    await Promise.all([modelBrowser.close(), clientBrowser.close()]);
    await rig.close();
  }
}

await runOnLoopback(import.meta.url, main);
