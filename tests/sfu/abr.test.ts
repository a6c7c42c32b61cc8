/**
 * Issue 17's proof on a shaped link: the real platform in namespace A, a
 * Chromium viewer in namespace B behind a veth pair shaped with tc (see
 * helpers/shapedLink.ts, helpers/abrScenario.ts). The file re-executes
 * itself inside A; the namespaces exist only for the run.
 */
import { fileURLToPath } from 'node:url';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { runAbrScenario, type AbrFigures } from './helpers/abrScenario.ts';
import { linkEnv, runInsideA } from './helpers/shapedLink.ts';

const link = linkEnv();
if (!link) process.exit(runInsideA(fileURLToPath(import.meta.url)));

const abr = suite<{ figures: AbrFigures }>('adaptive bitrate behind a 400 kbit/s link');

abr.before(async (ctx) => {
  // uvu reports a failing hook only as failed tests: say why.
  const t0 = performance.now();
  ctx.figures = await runAbrScenario(link!, (line) => console.log(`  +${((performance.now() - t0) / 1000).toFixed(1)} s ${line}`)).catch((err) => { console.error(err); throw err; });
});

abr('a new auto viewer on a clean link reaches the high layer within 5 s and stays there', ({ figures }) => {
  assert.ok(figures.cleanJoinToHighS <= 5, `${figures.cleanJoinToHighS} s`);
  assert.ok(figures.stayedHigh, 'left the high layer on a clean link');
});

abr('shaped to 400 kbit/s, the auto viewer is on the low layer within 2 s with at most 1 s of freezes', ({ figures }) => {
  assert.ok(figures.downswitchS <= 2, `${figures.downswitchS} s`);
  assert.ok(figures.freezeShapedAutoS <= 1, `${figures.freezeShapedAutoS} s of freezes`);
});

abr('lifted, the auto viewer is back on the high layer within 10 s', ({ figures }) => {
  assert.ok(figures.upswitchS <= 10, `${figures.upswitchS} s`);
});

abr('a viewer fixed on high behind the shaped link gets under 1.5x the link capacity in retransmissions', ({ figures }) => {
  assert.ok(figures.retransmitToLinkRatioHigh < 1.5, `${figures.retransmitToLinkRatioHigh.toFixed(2)}x`);
});

abr('the running platform\'s /metrics carries the SFU\'s per-show and per-worker figures', ({ figures }) => {
  const m = figures.metrics;
  const show = `show="${figures.showId}"`;
  assert.match(m, new RegExp(`^sfu_show_viewers\\{${show}\\} 1$`, 'm'));
  assert.match(m, new RegExp(`^sfu_show_layer_viewers\\{${show},layer="low"\\} 1$`, 'm'));
  assert.match(m, new RegExp(`^sfu_show_forwarded_bitrate_kbps\\{${show}\\} [1-9]`, 'm'));
  assert.match(m, new RegExp(`^sfu_show_viewer_estimate_viewers\\{${show},le="(250|500)"\\} 1$`, 'm'));
  assert.match(m, new RegExp(`^sfu_show_retransmitted_bytes\\{${show}\\} \\d+`, 'm'));
  assert.match(m, /^sfu_worker_viewers\{worker="0"\} 1$/m);
  assert.match(m, /^sfu_worker_cpu_seconds\{worker="0"\} [\d.e-]+$/m);
});

abr.after(() => { setTimeout(() => process.exit(), 500).unref(); });
abr.run();
