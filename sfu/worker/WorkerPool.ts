/**
 * The SfuEngine over several worker processes (one per core). Each show
 * lives on one worker, placed on the least-loaded one; viewers join the
 * worker of their show. When a worker dies, every session it held is
 * reported closed with reason `worker-died` (WHIP/WHEP clients get a
 * `reconnect` server-sent event and POST again, landing on a live worker)
 * and the worker is restarted.
 */
import { TypedEmitter } from '../emitter.ts';
import type {
  LayerPreference, PublishRequest, ResourceRole, SessionAnswer, SfuEngine, SfuEngineEvents, ShowStats,
  ViewerInfo, ViewRequest, WorkerStats,
} from '../engine.ts';
import { SfuError } from '../errors.ts';
import { isValidShowId } from '../tokens.ts';
import type { WeriftEngineOptions } from '../werift/WeriftEngine.ts';
import { WorkerHandle } from './WorkerHandle.ts';

export interface WorkerPoolOptions {
  /** Number of worker processes. */
  workers: number;
  /** Engine options for every worker. */
  engine: WeriftEngineOptions;
  /** UDP port range, split evenly between workers. */
  rtcPortRange?: [number, number];
}

interface Slot {
  handle: WorkerHandle | undefined;
  viewers: number;
  shows: Set<string>;
  restarting: Promise<void> | undefined;
}

export class WorkerPool implements SfuEngine {
  readonly events = new TypedEmitter<SfuEngineEvents>();
  readonly #options: WorkerPoolOptions;
  readonly #slots: Slot[] = [];
  /** Show -> worker index, from the first publish until the show ends. */
  readonly #showWorker = new Map<string, number>();
  readonly #live = new Set<string>();
  readonly #resources = new Map<string, { showId: string; role: ResourceRole; worker: number }>();
  #closed = false;

  private constructor(options: WorkerPoolOptions) {
    this.#options = options;
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new SfuError('SFU_BAD_REQUEST', 'workers must be at least 1');
    const pool = new WorkerPool(options);
    for (let i = 0; i < options.workers; i++) pool.#slots.push({ handle: undefined, viewers: 0, shows: new Set(), restarting: undefined });
    try {
      await Promise.all(pool.#slots.map((_s, i) => pool.#spawn(i)));
    } catch (err) {
      await pool.close();
      throw err;
    }
    return pool;
  }

  get closed(): boolean { return this.#closed; }

  #engineOptions(i: number): WeriftEngineOptions {
    const o: WeriftEngineOptions = { ...this.#options.engine, worker: i };
    const range = this.#options.rtcPortRange;
    if (range) {
      const n = this.#options.workers;
      const size = Math.floor((range[1] - range[0] + 1) / n);
      o.rtcPortRange = [range[0] + i * size, range[0] + (i + 1) * size - 1];
    }
    return o;
  }

  async #spawn(i: number): Promise<void> {
    const handle = await WorkerHandle.start(i, this.#engineOptions(i));
    const slot = this.#slots[i]!;
    if (this.#closed) { await handle.close(); return; }
    slot.handle = handle;
    handle.events.on('showstarted', (showId) => {
      this.#live.add(showId);
      this.events.emit('showstarted', showId);
    });
    handle.events.on('showended', (showId, reason) => {
      if (this.#showWorker.get(showId) === i) this.#showWorker.delete(showId);
      slot.shows.delete(showId);
      this.#live.delete(showId);
      this.events.emit('showended', showId, reason);
    });
    handle.events.on('viewercount', (showId, count) => this.events.emit('viewercount', showId, count));
    handle.events.on('showstalled', (showId) => this.events.emit('showstalled', showId));
    handle.events.on('showresumed', (showId) => this.events.emit('showresumed', showId));
    handle.events.on('resourceclosed', (showId, resourceId, role, reason) => {
      const r = this.#resources.get(resourceId);
      if (r && r.worker === i) {
        this.#resources.delete(resourceId);
        if (role === 'viewer') slot.viewers = Math.max(0, slot.viewers - 1);
      }
      this.events.emit('resourceclosed', showId, resourceId, role, reason);
    });
    handle.events.on('exit', () => this.#onWorkerDied(i, handle));
  }

  #onWorkerDied(i: number, handle: WorkerHandle): void {
    const slot = this.#slots[i]!;
    if (slot.handle !== handle) return;
    slot.handle = undefined;
    // Tell everyone whose session lived there, so clients reconnect right away.
    for (const [resourceId, r] of [...this.#resources]) {
      if (r.worker !== i) continue;
      this.#resources.delete(resourceId);
      this.events.emit('resourceclosed', r.showId, resourceId, r.role, 'worker-died');
    }
    for (const showId of slot.shows) {
      if (this.#showWorker.get(showId) === i) this.#showWorker.delete(showId);
      if (this.#live.delete(showId)) this.events.emit('showended', showId, 'worker-died');
    }
    slot.shows.clear();
    slot.viewers = 0;
    if (this.#closed) return;
    slot.restarting = this.#spawn(i).catch((err) => {
      console.error(`sfu: worker ${i} failed to restart`, err);
    }).finally(() => { slot.restarting = undefined; });
  }

  /** Least-loaded live worker: fewest viewers, then fewest shows. */
  #place(): number {
    let best = -1;
    for (let i = 0; i < this.#slots.length; i++) {
      const s = this.#slots[i]!;
      if (!s.handle?.alive) continue;
      if (best < 0) { best = i; continue; }
      const b = this.#slots[best]!;
      if (s.viewers + s.shows.size * 5 < b.viewers + b.shows.size * 5) best = i;
    }
    if (best < 0) throw new SfuError('SFU_UNAVAILABLE', 'no SFU worker is running');
    return best;
  }

  #handle(i: number): WorkerHandle {
    const h = this.#slots[i]?.handle;
    if (!h?.alive) throw new SfuError('SFU_UNAVAILABLE', 'the SFU worker is restarting');
    return h;
  }

  #check(showId: string): void {
    if (this.#closed) throw new SfuError('SFU_CLOSED', 'the SFU is shutting down');
    if (!isValidShowId(showId)) throw new SfuError('SFU_BAD_REQUEST', 'invalid show id');
  }

  async publish(request: PublishRequest): Promise<SessionAnswer> {
    this.#check(request.showId);
    let i = this.#showWorker.get(request.showId);
    if (i === undefined || !this.#slots[i]?.handle?.alive) i = this.#place();
    this.#showWorker.set(request.showId, i);
    this.#slots[i]!.shows.add(request.showId);
    const answer = await this.#handle(i).call<SessionAnswer>('publish', request);
    this.#resources.set(answer.resourceId, { showId: request.showId, role: 'publisher', worker: i });
    return answer;
  }

  async view(request: ViewRequest): Promise<SessionAnswer> {
    this.#check(request.showId);
    const i = this.#showWorker.get(request.showId);
    if (i === undefined || !this.#live.has(request.showId)) throw new SfuError('SFU_UNKNOWN_SHOW', 'nobody is publishing this show');
    const slot = this.#slots[i]!;
    slot.viewers++;
    try {
      const answer = await this.#handle(i).call<SessionAnswer>('view', request);
      this.#resources.set(answer.resourceId, { showId: request.showId, role: 'viewer', worker: i });
      return answer;
    } catch (err) {
      slot.viewers = Math.max(0, slot.viewers - 1);
      throw err;
    }
  }

  #resource(showId: string, resourceId: string, role?: ResourceRole): { worker: number } {
    const r = this.#resources.get(resourceId);
    if (!r || r.showId !== showId || (role && r.role !== role)) throw new SfuError('SFU_UNKNOWN_RESOURCE', 'no such session');
    return r;
  }

  async setLayer(showId: string, resourceId: string, preference: LayerPreference): Promise<void> {
    const r = this.#resource(showId, resourceId, 'viewer');
    await this.#handle(r.worker).call('setLayer', showId, resourceId, preference);
  }

  async viewerInfo(showId: string, resourceId: string): Promise<ViewerInfo> {
    const r = this.#resource(showId, resourceId, 'viewer');
    return this.#handle(r.worker).call<ViewerInfo>('viewerInfo', showId, resourceId);
  }

  async closeResource(showId: string, resourceId: string, role: ResourceRole): Promise<void> {
    const r = this.#resource(showId, resourceId, role);
    await this.#handle(r.worker).call('closeResource', showId, resourceId, role);
  }

  async closeShow(showId: string): Promise<void> {
    const i = this.#showWorker.get(showId);
    if (i !== undefined) await this.#handle(i).call('closeShow', showId);
  }

  async evictViewer(showId: string, sub: string): Promise<void> {
    this.#check(showId);
    const i = this.#showWorker.get(showId);
    if (i !== undefined) await this.#handle(i).call('evictViewer', showId, sub);
  }

  async readmitViewer(showId: string, sub: string): Promise<void> {
    this.#check(showId);
    const i = this.#showWorker.get(showId);
    if (i !== undefined) await this.#handle(i).call('readmitViewer', showId, sub);
  }

  hasShow(showId: string): boolean {
    return this.#live.has(showId);
  }

  resourceRole(showId: string, resourceId: string): ResourceRole | undefined {
    const r = this.#resources.get(resourceId);
    return r && r.showId === showId ? r.role : undefined;
  }

  async showStats(): Promise<ShowStats[]> {
    const all = await Promise.all(this.#slots.map((s) => (s.handle?.alive ? s.handle.call<ShowStats[]>('showStats').catch(() => []) : [])));
    return all.flat();
  }

  async workerStats(): Promise<WorkerStats[]> {
    const all = await Promise.all(this.#slots.map((s) => (s.handle?.alive ? s.handle.call<WorkerStats[]>('workerStats').catch(() => []) : [])));
    return all.flat();
  }

  /** Worker process ids by index (0 while restarting): for operators and crash tests. */
  get workerPids(): number[] {
    return this.#slots.map((s) => (s.handle?.alive ? s.handle.pid : 0));
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await Promise.all(this.#slots.map(async (s) => {
      await s.restarting;
      await s.handle?.close();
    }));
    this.#resources.clear();
    this.#showWorker.clear();
    this.#live.clear();
  }
}
