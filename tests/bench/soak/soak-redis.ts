/**
 * The soak's redis-server: a fixed loopback port and an append-only file, so that a restart is a restart and not a
 * wipe (what an operator's Redis with persistence does). An exit that is not our own stop counts as a crash.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Incidents } from './incidents.ts';
import { exited } from './exited.ts';

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

