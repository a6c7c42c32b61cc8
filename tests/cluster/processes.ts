/**
 * The processes of a cluster on loopback, as an operator runs them: signaling (`signaling/main.ts`, what
 * `npm start` runs, with SFU_MODE=remote), SFU hosts (`signaling/sfu-main.ts`, `npm run sfu`) and nginx as
 * the one entry point in front of the signaling processes (round robin, websocket upgrade).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

export interface Proc {
  readonly name: string;
  readonly child: ChildProcess;
  /** Everything it printed. */
  output(): string;
  /** Resolves with the exit code (or the signal's name) once it exited. */
  readonly exited: Promise<number | string>;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves once it exited. */
  stop(graceMs?: number): Promise<number | string>;
}

/** Spawns `args` (node with tsx when `script`), and waits up to `timeoutMs` for `ready` in its output. */
export async function startProc(name: string, command: string[], env: Record<string, string>, ready: RegExp, timeoutMs = 60_000): Promise<Proc> {
  const child = spawn(command[0]!, command.slice(1), { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => { out += d; });
  child.stderr!.on('data', (d: Buffer) => { out += d; });
  const exited = new Promise<number | string>((resolve) => child.once('exit', (code, signal) => resolve(code ?? signal ?? -1)));
  const proc: Proc = {
    name, child, exited, output: () => out,
    async stop(graceMs = 15_000) {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
  const deadline = Date.now() + timeoutMs;
  while (!ready.test(out)) {
    if (child.exitCode !== null || Date.now() > deadline) {
      await proc.stop(1000);
      throw new Error(`${name} did not start:\n${out.slice(-3000)}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return proc;
}

export const nodeScript = (script: string): string[] => [process.execPath, '--import', 'tsx', script];

export function nginxBinary(): string {
  for (const candidate of ['nginx', '/usr/sbin/nginx']) {
    if (spawnSync(candidate, ['-v']).status === 0) return candidate;
  }
  throw new Error('nginx is not installed (apt-get install nginx)');
}

/**
 * nginx on `port` in front of `upstreams` (round robin; a node that refuses connections is skipped), with
 * websocket upgrade, and a blank page at `/blank` for the browser to run its WHIP/WHEP script from.
 */
export async function startNginx(port: number, upstreams: number[]): Promise<Proc & { dir: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'livecam-nginx-'));
  for (const sub of ['body', 'proxy', 'fastcgi', 'uwsgi', 'scgi']) mkdirSync(join(dir, sub));
  const conf = join(dir, 'nginx.conf');
  writeFileSync(conf, `
daemon off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events { worker_connections 512; }
http {
  access_log off;
  client_body_temp_path ${dir}/body; proxy_temp_path ${dir}/proxy; fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi; scgi_temp_path ${dir}/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  upstream signaling {
${upstreams.map((p) => `    server 127.0.0.1:${p} max_fails=1 fail_timeout=30s;`).join('\n')}
  }
  server {
    listen 127.0.0.1:${port};
    location = /favicon.ico { return 204; }
    location = /blank { default_type text/html; return 200 '<!doctype html><html><head><title>cluster</title></head><body></body></html>'; }
    location / {
      proxy_pass http://signaling;
      proxy_http_version 1.1;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_set_header Host $host;
      proxy_read_timeout 1h;
      proxy_next_upstream error timeout;
    }
  }
}
`);
  const proc = await startProc('nginx', [nginxBinary(), '-e', join(dir, 'error.log'), '-p', dir, '-c', conf], {}, /^/, 5_000);
  // nginx prints nothing when it starts: wait until it answers.
  const deadline = Date.now() + 10_000;
  for (;;) {
    const up = await fetch(`http://127.0.0.1:${port}/blank`).then((r) => r.ok, () => false);
    if (up) break;
    if (Date.now() > deadline || proc.child.exitCode !== null) throw new Error(`nginx did not start: ${proc.output()}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  const stop = proc.stop;
  return Object.assign(proc, {
    dir,
    async stop(graceMs?: number) {
      const code = await stop(graceMs);
      rmSync(dir, { recursive: true, force: true });
      return code;
    },
  });
}

/** Connected sockets of a signaling process, read from its /metrics (loopback, no proxy: answered without a token). */
export async function connectionsOf(port: number): Promise<number> {
  const text = await fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text());
  return Number(/^signaling_connections (\d+)/m.exec(text)?.[1] ?? NaN);
}

/** Reads a server-sent-event stream until its text matches `pattern`; fails after `timeoutMs` even if nothing arrives. */
export async function readUntil(stream: ReadableStream<Uint8Array>, pattern: RegExp, timeoutMs: number, what: string): Promise<string> {
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let text = '';
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => { timer = setTimeout(() => reject(new Error(`timed out waiting for ${what} (got: ${JSON.stringify(text)})`)), timeoutMs); });
  try {
    while (!pattern.test(text)) {
      const { value, done } = await Promise.race([reader.read(), timeout]);
      if (done) throw new Error(`the stream ended before ${what} (got: ${JSON.stringify(text)})`);
      text += decoder.decode(value, { stream: true });
    }
    return text;
  } finally {
    clearTimeout(timer);
    reader.releaseLock();
  }
}
