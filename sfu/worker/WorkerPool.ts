/**
 * The SfuEngine over several worker processes (one per core). Each show
 * lives on one worker, placed on the least-loaded one; viewers join the
 * worker of their show while it has room (its viewer budget, and its CPU
 * budget for joins: SFU_OVERLOADED), then spill to other workers, each of
 * which serves a copy of the show fed once by the show's worker over
 * loopback UDP (sfu/relay/, as mediasoup's pipeToRouter): its viewers get
 * every layer, their keyframe requests reach the publisher through the
 * show's worker, and a copy ends with its last viewer. The same relay
 * serves a show held by another host (an edge: `attachRelay`). When a worker dies, every session it held is
 * reported closed with reason `worker-died` (WHIP/WHEP clients get a
 * `reconnect` server-sent event and POST again, landing on a live worker)
 * and the worker is restarted.
 */
import { TypedEmitter } from '../emitter.ts';
import type {
  CloseReason, LayerPreference, PublishRequest, RelayAttach, RelayOffer, ResourceRole, SessionAnswer, SfuEngine, SfuEngineEvents,
  ShowStats, ViewerInfo, ViewRequest, WorkerStats,
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
  /** Viewers a worker takes before a show's further viewers spill to other workers; with every worker at it, the least loaded still takes them (only the CPU budget for joins refuses). Default: no count. */
  viewersPerWorker?: number;
}

interface Slot {
  handle: WorkerHandle | undefined;
  viewers: number;
  /** Shows whose source (publisher, or an edge's relay from the origin) is on this worker. */
  shows: Set<string>;
  /** Copies of shows held by other workers served here (spill), settled once the copy's feed answers. */
  copies: Map<string, Promise<void>>;
  restarting: Promise<void> | undefined;
}

/** Errors after which a view may be tried on another worker: nothing was created on the one that refused. */
const SPILL_ON = new Set(['SFU_OVERLOADED', 'SFU_UNAVAILABLE', 'SFU_UNKNOWN_SHOW']);

export class WorkerPool implements SfuEngine {
  readonly events = new TypedEmitter<SfuEngineEvents>();
  readonly #options: WorkerPoolOptions;
  readonly #slots: Slot[] = [];
  /** Show -> worker index, from the first publish until the show ends. */
  readonly #showWorker = new Map<string, number>();
  readonly #live = new Set<string>();
  /** Shows this host serves as an edge: their source is a relay from their origin host. */
  readonly #edge = new Set<string>();
  /** Connected viewers per show per worker, as the workers report them: the show's count is their sum. */
  readonly #counts = new Map<string, Map<number, number>>();
  readonly #resources = new Map<string, { showId: string; role: ResourceRole; worker: number }>();
  #closed = false;

  private constructor(options: WorkerPoolOptions) {
    this.#options = options;
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    if (!Number.isInteger(options.workers) || options.workers < 1) throw new SfuError('SFU_BAD_REQUEST', 'workers must be at least 1');
    const pool = new WorkerPool(options);
    for (let i = 0; i < options.workers; i++) pool.#slots.push({ handle: undefined, viewers: 0, shows: new Set(), copies: new Map(), restarting: undefined });
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
      this.#counts.delete(showId);
      this.events.emit('showended', showId, reason);
    });
    handle.events.on('viewercount', (showId, count) => this.#count(showId, i, count));
    handle.events.on('relayviewercount', (showId, count) => this.#count(showId, i, count));
    handle.events.on('relayended', (showId, reason) => this.#relayEnded(i, showId, reason));
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
      // Copies fed from the dead worker get nothing more: their viewers reconnect too.
      for (const [j, other] of this.#slots.entries()) {
        if (j !== i && other.copies.delete(showId)) void other.handle?.call('closeRelay', showId, 'worker-died').catch(() => {});
      }
      if (this.#live.delete(showId)) this.events.emit('showended', showId, 'worker-died');
      if (this.#edge.delete(showId)) this.events.emit('relayended', showId, 'worker-died');
    }
    for (const showId of slot.copies.keys()) this.#counts.get(showId)?.delete(i);
    slot.shows.clear();
    slot.copies.clear();
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
    const { showId } = request;
    const tried = new Set<number>();
    let refused: unknown;
    for (;;) {
      const home = this.#showWorker.get(showId);
      if (home === undefined || !(this.#live.has(showId) || this.#edge.has(showId))) {
        throw refused ?? new SfuError('SFU_UNKNOWN_SHOW', 'nobody is publishing this show');
      }
      const i = this.#viewerWorker(home, tried);
      if (i === undefined) throw refused ?? new SfuError('SFU_OVERLOADED', 'every SFU worker is at its budget: retry after the Retry-After delay');
      tried.add(i);
      try {
        if (i !== home) await this.#copy(showId, home, i);
        return await this.#viewOn(i, request);
      } catch (err) {
        const code = (err as { code?: string }).code ?? '';
        // The show's own worker not knowing the show means it ended: only a copy's refusal is worth another try.
        if (!(err instanceof SfuError) || !SPILL_ON.has(code) || (i === home && code === 'SFU_UNKNOWN_SHOW')) throw err;
        if (i !== home) this.#slots[i]!.copies.delete(showId);
        refused = err;
      }
    }
  }

  /** Where the next viewer of a show goes: its worker while it has room, then a worker serving a copy, then the least-loaded other one. */
  #viewerWorker(home: number, tried: Set<number>): number | undefined {
    const budget = this.#options.viewersPerWorker ?? Infinity;
    const room = (i: number) => this.#slots[i]!.handle?.alive === true && this.#slots[i]!.viewers < budget && !tried.has(i);
    if (room(home)) return home;
    let best: number | undefined;
    for (let i = 0; i < this.#slots.length; i++) {
      if (i === home || !room(i)) continue;
      if (best === undefined || this.#slots[i]!.viewers < this.#slots[best]!.viewers) best = i;
    }
    if (best !== undefined) return best;
    // Every worker at its count: the count only orders placement (signaling sends further viewers to an edge host
    // by a registry a heartbeat old, so a few arrive late); only the CPU budget for joins refuses (SFU_OVERLOADED).
    const alive = (i: number) => this.#slots[i]!.handle?.alive === true && !tried.has(i);
    if (alive(home)) return home;
    for (let i = 0; i < this.#slots.length; i++) {
      if (alive(i) && (best === undefined || this.#slots[i]!.viewers < this.#slots[best]!.viewers)) best = i;
    }
    return best;
  }

  /** Makes worker `to` serve a copy of the show fed from worker `from` (once: later viewers share it). */
  #copy(showId: string, from: number, to: number): Promise<void> {
    const slot = this.#slots[to]!;
    let copy = slot.copies.get(showId);
    if (!copy) {
      copy = (async () => {
        const offer = await this.#handle(from).call<RelayOffer>('openRelay', showId, '127.0.0.1');
        await this.#handle(to).call('attachRelay', showId, { ...offer, host: '127.0.0.1' } satisfies RelayAttach);
      })();
      slot.copies.set(showId, copy);
      copy.catch(() => { if (slot.copies.get(showId) === copy) slot.copies.delete(showId); });
    }
    return copy;
  }

  async #viewOn(i: number, request: ViewRequest): Promise<SessionAnswer> {
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

  /** A worker's count of a show's viewers: the host's count is the sum over its workers. */
  #count(showId: string, worker: number, count: number): void {
    let counts = this.#counts.get(showId);
    if (!counts) { counts = new Map(); this.#counts.set(showId, counts); }
    counts.set(worker, count);
    let total = 0;
    for (const n of counts.values()) total += n;
    if (total === 0) this.#counts.delete(showId);
    // An edge's viewers are not the show's count (its origin reports that): they are reported apart.
    this.events.emit(this.#edge.has(showId) ? 'relayviewercount' : 'viewercount', showId, total);
  }

  #relayEnded(worker: number, showId: string, reason: CloseReason): void {
    this.#counts.get(showId)?.delete(worker);
    this.#slots[worker]!.copies.delete(showId);
    if (this.#edge.has(showId) && this.#showWorker.get(showId) === worker) {
      this.#edge.delete(showId);
      this.#showWorker.delete(showId);
      this.#slots[worker]!.shows.delete(showId);
      this.#counts.delete(showId);
      this.events.emit('relayended', showId, reason);
    }
  }

  async openRelay(showId: string, bindIp?: string): Promise<RelayOffer> {
    this.#check(showId);
    const i = this.#showWorker.get(showId);
    if (i === undefined) throw new SfuError('SFU_UNKNOWN_SHOW', 'nobody is publishing this show');
    return this.#handle(i).call<RelayOffer>('openRelay', showId, bindIp);
  }

  async attachRelay(showId: string, relay: RelayAttach): Promise<void> {
    this.#check(showId);
    if (this.#showWorker.has(showId)) throw new SfuError('SFU_SHOW_BUSY', 'this show is already served here');
    const i = this.#place();
    this.#showWorker.set(showId, i);
    this.#slots[i]!.shows.add(showId);
    this.#edge.add(showId);
    try {
      await this.#handle(i).call('attachRelay', showId, relay);
    } catch (err) {
      if (this.#showWorker.get(showId) === i) this.#showWorker.delete(showId);
      this.#slots[i]!.shows.delete(showId);
      this.#edge.delete(showId);
      throw err;
    }
  }

  hasRelay(showId: string): boolean {
    return this.#edge.has(showId);
  }

  async closeRelay(showId: string, reason: CloseReason): Promise<void> {
    const i = this.#showWorker.get(showId);
    if (i !== undefined && this.#edge.has(showId)) await this.#handle(i).call('closeRelay', showId, reason);
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

  /** Per worker: a show served by several workers has one entry per worker, its source's first (`relayed` false). */
  async showStats(): Promise<ShowStats[]> {
    const all = await Promise.all(this.#slots.map((s) => (s.handle?.alive ? s.handle.call<ShowStats[]>('showStats').catch(() => []) : [])));
    return all.flat().sort((a, b) => Number(a.relayed) - Number(b.relayed));
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
    this.#edge.clear();
    this.#counts.clear();
  }
}
