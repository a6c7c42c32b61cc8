/**
 * `npm run bench:abr`: issue 17's shaped-link scenario (tests/sfu/helpers/
 * abrScenario.ts) as figures. Prints `name: value unit` lines:
 *
 *   clean_join_to_high_s            new auto viewer on a clean link to its first 1280-px frame (target <= 5)
 *   downswitch_s                    link shaped to 400 kbit/s -> first low-layer frame (target <= 2)
 *   freeze_s_shaped_auto            freezes while shaped, auto viewer (target <= 1)
 *   upswitch_s                      link lifted -> first 1280-px frame again (target <= 10)
 *   retransmit_to_link_ratio_high   viewer fixed on high: retransmitted bytes / link capacity while shaped (target < 1.5)
 *
 * Env: ABR_SHAPED_S (default 10). Enters a loopback-only network namespace first
 * (re-executes itself), then creates the two namespaces of the scenario inside it.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { runAbrScenario } from '../sfu/helpers/abrScenario.ts';
import { linkEnv, runInsideA } from '../sfu/helpers/shapedLink.ts';

const self = fileURLToPath(import.meta.url);
const link = linkEnv();
if (link) {
  const f = await runAbrScenario(link, (line) => console.log(`# ${line}`));
  console.log(`clean_join_to_high_s: ${f.cleanJoinToHighS.toFixed(2)} s`);
  console.log(`clean_join_stayed_high: ${f.stayedHigh ? 1 : 0} bool`);
  console.log(`downswitch_s: ${f.downswitchS.toFixed(2)} s`);
  console.log(`freeze_s_shaped_auto: ${f.freezeShapedAutoS.toFixed(2)} s`);
  console.log(`upswitch_s: ${f.upswitchS.toFixed(2)} s`);
  console.log(`retransmit_to_link_ratio_high: ${f.retransmitToLinkRatioHigh.toFixed(3)} ratio`);
  process.exit(0);
} else if (process.env.LIVECAM_BENCH_NETNS === '1') {
  process.exit(runInsideA(self));
} else {
  // Never touch the host's own links: the scenario's namespaces are made from a fresh, empty one.
  const inner = `ip link set lo up && exec "${process.execPath}" --import tsx "${self}"`;
  const r = spawnSync('unshare', ['-n', 'bash', '-c', inner], { stdio: 'inherit', env: { ...process.env, LIVECAM_BENCH_NETNS: '1' } });
  process.exit(r.status ?? 1);
}
