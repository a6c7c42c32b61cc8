/**
 * One signaling process of the soak (soak/node.ts) on a fixed port, restartable in place. Its exits that are not
 * our own kill count as crashes, and so do its SFU workers' (watched by pid: the pool replaces a dead one).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { Incidents } from './incidents.ts';
import { exited } from './exited.ts';

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
