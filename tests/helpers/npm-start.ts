/**
 * `npm start` as a user runs it (the client build in `prestart`, then the platform), on free loopback ports with
 * two SFU workers, its output kept for failure messages.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface NpmStart {
  npm: ChildProcess;
  /** The URL it printed, '' when none came within the time limit (or npm exited first). */
  url: string;
  /** Everything npm printed so far, stdout and stderr. */
  output(): string;
}

/** Spawns `npm start` and waits up to `timeoutMs` for its "running at" line. */
export async function npmStart(timeoutMs = 120_000): Promise<NpmStart> {
  let out = '';
  const npm = spawn('npm', ['start', '--silent'], {
    cwd: root,
    env: { ...process.env, HOST: '127.0.0.1', PORT: '0', CHAIN_PORT: '0', SFU_WORKERS: '2', LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  npm.stdout!.on('data', (d: Buffer) => { out += d; });
  npm.stderr!.on('data', (d: Buffer) => { out += d; });
  const deadline = Date.now() + timeoutMs;
  let url = '';
  while (!url && Date.now() < deadline && npm.exitCode === null) {
    url = /running at (http:\/\/127\.0\.0\.1:\d+)/.exec(out)?.[1] ?? '';
    if (!url) await new Promise((r) => setTimeout(r, 200));
  }
  return { npm, url, output: () => out };
}
