/**
 * The parent's side of one worker process: request/response calls with
 * ids, engine events, and an `exit` event when the process dies.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { TypedEmitter } from '../emitter.ts';
import type { SfuEngineEvents } from '../engine.ts';
import { SfuError, sfuErrorFrom } from '../errors.ts';
import type { WeriftEngineOptions } from '../werift/WeriftEngine.ts';
import type { EngineMethod, FromWorker, ToWorker } from './protocol.ts';

// Compiled (npm run build:server, the images) the worker is plain JavaScript for plain node; from source, tsx runs it.
const COMPILED = import.meta.url.endsWith('.js');
const WORKER_MAIN = fileURLToPath(new URL(COMPILED ? './main.js' : './main.ts', import.meta.url));

export class WorkerHandle {
  readonly index: number;
  readonly events = new TypedEmitter<SfuEngineEvents & { exit: [code: number | null, signal: string | null] }>();
  readonly #child: ChildProcess;
  readonly #pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: unknown) => void }>();
  #nextId = 1;
  #exited = false;
  #closing = false;

  private constructor(index: number, child: ChildProcess) {
    this.index = index;
    this.#child = child;
  }

  get pid(): number { return this.#child.pid ?? 0; }
  get alive(): boolean { return !this.#exited; }

  /** Forks the worker and waits until its engine is ready. */
  static start(index: number, options: WeriftEngineOptions): Promise<WorkerHandle> {
    const child = fork(WORKER_MAIN, [], {
      // SFU_WORKER_NODE_OPTIONS: extra Node flags for workers (e.g. --cpu-prof when profiling).
      execArgv: [...(COMPILED ? [] : ['--import', 'tsx']), ...(process.env.SFU_WORKER_NODE_OPTIONS ?? '').split(' ').filter(Boolean)],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'advanced',
    });
    const handle = new WorkerHandle(index, child);
    return new Promise((resolve, reject) => {
      const fail = (err: unknown) => reject(new SfuError('SFU_UNAVAILABLE', `SFU worker ${index} failed to start`, { cause: err }));
      child.once('error', fail);
      child.on('message', (msg: FromWorker) => {
        if (msg.type === 'ready') { child.off('error', fail); resolve(handle); return; }
        handle.#onMessage(msg);
      });
      child.once('exit', (code, signal) => {
        handle.#exited = true;
        for (const p of handle.#pending.values()) p.reject(new SfuError('SFU_UNAVAILABLE', 'the SFU worker died'));
        handle.#pending.clear();
        fail(new SfuError('SFU_UNAVAILABLE', `SFU worker ${index} exited with ${code ?? signal}`));
        if (!handle.#closing) handle.events.emit('exit', code, signal);
      });
      child.send({ type: 'init', options } satisfies ToWorker);
    });
  }

  #onMessage(msg: FromWorker): void {
    if (msg.type === 'result') {
      const p = this.#pending.get(msg.id);
      if (!p) return;
      this.#pending.delete(msg.id);
      if (msg.ok) p.resolve(msg.value);
      else p.reject(sfuErrorFrom(msg.error));
    } else if (msg.type === 'event') {
      (this.events.emit as (name: string, ...args: unknown[]) => void)(msg.name, ...msg.args);
    }
  }

  call<T>(method: EngineMethod, ...args: unknown[]): Promise<T> {
    if (this.#exited || !this.#child.connected) return Promise.reject(new SfuError('SFU_UNAVAILABLE', 'the SFU worker is gone'));
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#pending.set(id, { resolve: resolve as (v: unknown) => void, reject });
      this.#child.send({ type: 'call', id, method, args } satisfies ToWorker);
    });
  }

  /** Asks the worker to close its sessions and exit; kills it after `graceMs`. Idempotent. */
  async close(graceMs = 2000): Promise<void> {
    this.#closing = true;
    if (this.#exited) return;
    const exited = new Promise<void>((r) => this.#child.once('exit', () => r()));
    try { this.#child.send({ type: 'close' } satisfies ToWorker); } catch { /* already disconnected */ }
    const timer = setTimeout(() => this.#child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  }
}
