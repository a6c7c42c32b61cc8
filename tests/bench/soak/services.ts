/**
 * The soak's server processes, each restartable in place (same port) and watched: a redis-server with its
 * append-only file (a restart, not a wipe: what an operator's Redis with persistence does), and signaling
 * processes (soak/node.ts). Any exit that is not our own kill counts as a crash; stderr is scanned for
 * unhandled rejections and error-level log lines.
 */
import { fork, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** What the watched processes did that we did not ask for. */
export class Incidents {
  crashes: string[] = [];
  unhandledRejections: string[] = [];
  /** Error-level log lines (pino level 50+), by message. */
  errors = new Map<string, number>();

  /** Reads a process's stderr line by line. */
  watch(name: string, stream: NodeJS.ReadableStream): void {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.#line(name, line);
      }
    });
  }

  #line(name: string, line: string): void {
    if (/SOAK_UNHANDLED_REJECTION|unhandled rejection|UnhandledPromiseRejection/i.test(line)) {
      this.unhandledRejections.push(`${name}: ${line.slice(0, 300)}`);
    }
    if (line.startsWith('{')) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: unknown; code?: unknown }; redis?: { name?: string; code?: string } };
        if ((entry.level ?? 0) >= 50) {
          const why = entry.err ? ` (${String(entry.err.code ?? '')} ${JSON.stringify(entry.err.message ?? '').slice(0, 120)})`
            : entry.redis ? ` (${entry.redis.name ?? ''} ${entry.redis.code ?? ''})` : '';
          const key = `${name}: ${entry.msg ?? ''}${why}`;
          this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
        }
        return;
      } catch { /* not a log line */ }
    }
    if (line.trim() !== '' && process.env.SOAK_VERBOSE === '1') process.stderr.write(`[${name}] ${line}\n`);
  }
}

function exited(child: ChildProcess): Promise<void> {
  return new Promise((resolve) => (child.exitCode !== null || child.signalCode !== null ? resolve() : child.once('exit', () => resolve())));
}

/** redis-server on a fixed loopback port with an append-only file, restartable. */
export class SoakRedis {
  readonly port: number;
  readonly #dir = mkdtempSync(join(tmpdir(), 'livecam-soak-redis-'));
  readonly #incidents: Incidents;
  #child: ChildProcess | null = null;
  #killing = false;

  constructor(port: number, incidents: Incidents) {
    this.port = port;
    this.#incidents = incidents;
  }

  get url(): string { return `redis://127.0.0.1:${this.port}`; }

  async start(): Promise<void> {
    const child = spawn('redis-server', [
      '--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'yes', '--appendfsync', 'always',
      '--dir', this.#dir,
    ], { stdio: ['ignore', 'pipe', 'pipe'] });
    this.#child = child;
    this.#killing = false;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('redis-server did not start')), 15_000);
      let out = '';
      child.stdout!.on('data', (d: Buffer) => {
        out += d.toString();
        if (out.includes('Ready to accept connections')) { clearTimeout(timer); resolve(); }
      });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`redis-server exited ${code}: ${out.slice(-300)}`)); });
    });
    child.once('exit', (code, signal) => {
      if (!this.#killing) this.#incidents.crashes.push(`redis exited (${code ?? signal})`);
    });
  }

  /** Stops it (SIGTERM: it flushes its append-only file) and starts it again after `downMs`. */
  async restart(downMs: number): Promise<void> {
    await this.stop();
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  async stop(): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#killing = true;
    child.kill('SIGTERM');
    await exited(child);
    this.#child = null;
  }

  async close(): Promise<void> {
    await this.stop();
    rmSync(this.#dir, { recursive: true, force: true });
  }
}

const nodeScript = fileURLToPath(new URL('./node.ts', import.meta.url));

/** One signaling process (soak/node.ts) on a fixed port, restartable. */
export class SoakNode {
  readonly name: string;
  readonly port: number;
  readonly #env: Record<string, string>;
  readonly #incidents: Incidents;
  #child: ChildProcess | null = null;
  #killing = false;
  /** SFU worker pids killed on purpose (their exits are not crashes). */
  readonly #killedWorkers = new Set<number>();
  #knownWorkers = new Set<number>();
  #workerWatch: ReturnType<typeof setInterval> | undefined;

  constructor(name: string, port: number, env: Record<string, string>, incidents: Incidents) {
    this.name = name;
    this.port = port;
    this.#env = env;
    this.#incidents = incidents;
  }

  get url(): string { return `http://127.0.0.1:${this.port}`; }
  get up(): boolean { return this.#child !== null && this.#child.exitCode === null; }

  async start(): Promise<void> {
    const child = fork(nodeScript, [], {
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...this.#env, PORT: String(this.port) },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    this.#child = child;
    this.#killing = false;
    this.#incidents.watch(this.name, child.stderr!);
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${this.name} did not start`)), 60_000);
      child.on('message', (m: { type?: string }) => { if (m.type === 'ready') { clearTimeout(timer); resolve(); } });
      child.once('exit', (code) => { clearTimeout(timer); reject(new Error(`${this.name} exited ${code} while starting`)); });
    });
    child.once('exit', (code, signal) => {
      if (!this.#killing) this.#incidents.crashes.push(`${this.name} exited (${code ?? signal})`);
    });
    this.#knownWorkers = new Set((await this.workerPids()).filter((p) => p > 0));
    clearInterval(this.#workerWatch);
    // A worker that vanished without our kill crashed (the pool replaces it: only watching tells).
    this.#workerWatch = setInterval(() => void this.#checkWorkers(), 500);
  }

  async #checkWorkers(): Promise<void> {
    if (!this.up || this.#killing) return;
    const pids = new Set((await this.workerPids().catch(() => [] as number[])).filter((p) => p > 0));
    if (!this.up || this.#killing) return;
    for (const pid of this.#knownWorkers) {
      if (!pids.has(pid) && !this.#killedWorkers.has(pid) && !isAlive(pid)) this.#incidents.crashes.push(`${this.name}: SFU worker ${pid} died`);
    }
    for (const pid of this.#knownWorkers) if (!pids.has(pid)) this.#knownWorkers.delete(pid);
    for (const pid of pids) this.#knownWorkers.add(pid);
  }

  /** The SFU's worker pids (0 while one restarts). */
  async workerPids(): Promise<number[]> {
    return (await this.workers()).pids;
  }

  /** The SFU's worker pids and which worker hosts each show. */
  workers(): Promise<{ pids: number[]; shows: { showId: string; worker: number }[] }> {
    const child = this.#child;
    if (!child?.connected) return Promise.resolve({ pids: [], shows: [] });
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => { child.off('message', onMsg); reject(new Error('no worker list')); }, 5_000);
      const onMsg = (m: { type?: string; pids?: number[]; shows?: { showId: string; worker: number }[] }) => {
        if (m.type !== 'workers') return;
        clearTimeout(timer);
        child.off('message', onMsg);
        resolve({ pids: m.pids ?? [], shows: m.shows ?? [] });
      };
      child.on('message', onMsg);
      child.send({ type: 'workers' });
    });
  }

  /** SIGKILLs one SFU worker (the pool restarts it). */
  killWorker(pid: number): void {
    this.#killedWorkers.add(pid);
    process.kill(pid, 'SIGKILL');
  }

  /** Kills the process (SIGKILL, or SIGTERM for a graceful stop) and starts it again after `downMs`. */
  async restart(signal: 'SIGKILL' | 'SIGTERM', downMs: number): Promise<void> {
    await this.stop(signal);
    await new Promise((r) => setTimeout(r, downMs));
    await this.start();
  }

  async stop(signal: 'SIGKILL' | 'SIGTERM' = 'SIGTERM'): Promise<void> {
    const child = this.#child;
    if (!child) return;
    this.#killing = true;
    clearInterval(this.#workerWatch);
    if (child.exitCode === null && child.signalCode === null) {
      // SIGKILL leaves the SFU workers behind: they watch their parent and exit, ours are not counted as crashes.
      child.kill(signal);
      const force = setTimeout(() => child.kill('SIGKILL'), 12_000);
      await exited(child);
      clearTimeout(force);
    }
    this.#child = null;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}
