/**
 * Two network namespaces made for one test run (RECIPES "Shaping one peer's
 * link"): A holds the platform, B the viewer's browser, joined by a veth
 * pair whose /30 exists only between them. `tc tbf` on A's end shapes what
 * the platform sends to B. The calling file re-executes itself inside A
 * (`runInsideA`); from there, `shape`/`lift` change the link and
 * `chromiumInB` launches a browser whose traffic crosses it.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';
import { CHROMIUM_ARGS } from '../../helpers/chromium.ts';

/** What the process re-executed inside A is told about the link. */
export interface LinkEnv {
  /** Namespace of the viewer's browser. */
  netnsB: string;
  /** A's end of the veth pair (where `tc` shapes). */
  deviceA: string;
  /** A's address: the platform's HOST and SFU_ANNOUNCED_IP. */
  hostA: string;
}

function run(args: string[]): void {
  const r = spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr || r.error?.message}`);
}

/** The link this process was started with, when it runs inside A. */
export function linkEnv(): LinkEnv | undefined {
  const { ABR_NETNS_B, ABR_DEVICE_A, ABR_HOST_A } = process.env;
  return ABR_NETNS_B && ABR_DEVICE_A && ABR_HOST_A ? { netnsB: ABR_NETNS_B, deviceA: ABR_DEVICE_A, hostA: ABR_HOST_A } : undefined;
}

/**
 * Creates A and B, runs `script` again inside A with the link in its
 * environment, removes both namespaces and returns the child's exit code.
 */
export function runInsideA(script: string, args: string[] = []): number {
  const tag = String(process.pid % 100000);
  const a = `abrA${tag}`;
  const b = `abrB${tag}`;
  const va = `va${tag}`;
  const vb = `vb${tag}`;
  // 10.231.N.0/30: private, made up per run, present only on this veth pair.
  const n = process.pid % 250;
  const hostA = `10.231.${n}.1`;
  const hostB = `10.231.${n}.2`;
  try {
    run(['ip', 'netns', 'add', a]);
    run(['ip', 'netns', 'add', b]);
    run(['ip', 'link', 'add', va, 'type', 'veth', 'peer', 'name', vb]);
    run(['ip', 'link', 'set', va, 'netns', a]);
    run(['ip', 'link', 'set', vb, 'netns', b]);
    run(['ip', '-n', a, 'addr', 'add', `${hostA}/30`, 'dev', va]);
    run(['ip', '-n', b, 'addr', 'add', `${hostB}/30`, 'dev', vb]);
    for (const [ns, dev] of [[a, va], [b, vb]] as const) {
      run(['ip', '-n', ns, 'link', 'set', 'lo', 'up']);
      run(['ip', '-n', ns, 'link', 'set', dev, 'up']);
    }
    const r = spawnSync('ip', ['netns', 'exec', a, process.execPath, '--import', 'tsx', script, ...args], {
      stdio: 'inherit',
      env: { ...process.env, ABR_NETNS_B: b, ABR_DEVICE_A: va, ABR_HOST_A: hostA },
    });
    return r.status ?? 1;
  } finally {
    spawnSync('ip', ['netns', 'del', a]);
    spawnSync('ip', ['netns', 'del', b]);
  }
}

/** Token bucket on A's end: what the platform sends to B is held to `rate` (e.g. '400kbit'). */
export function shape(link: LinkEnv, rate = '400kbit'): void {
  run(['tc', 'qdisc', 'replace', 'dev', link.deviceA, 'root', 'tbf', 'rate', rate, 'burst', '4kb', 'latency', '300ms']);
}

export function lift(link: LinkEnv): void {
  spawnSync('tc', ['qdisc', 'del', 'dev', link.deviceA, 'root']);
}

/**
 * Headless Chromium inside B (through `ip netns exec`), or in this process's
 * namespace (A); `origin` is treated as secure (the camera needs it, and A's
 * address is not localhost). close() removes its profile.
 */
export async function chromiumIn(link: LinkEnv, where: 'A' | 'B', origin: string): Promise<{ context: BrowserContext; close(): Promise<void> }> {
  const dir = mkdtempSync(join(tmpdir(), 'livecam-abr-'));
  const binary = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
  let executablePath = binary;
  if (where === 'B') {
    executablePath = join(dir, 'chromium-in-b.sh');
    writeFileSync(executablePath, `#!/bin/sh\nexec ip netns exec ${link.netnsB} ${binary} "$@"\n`);
    chmodSync(executablePath, 0o755);
  }
  const context = await chromium.launchPersistentContext(join(dir, 'profile'), {
    executablePath, headless: true, viewport: { width: 800, height: 600 },
    args: [...CHROMIUM_ARGS, `--unsafely-treat-insecure-origin-as-secure=${origin}`],
  });
  return {
    context,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
