/**
 * The SFU engine in one process, on werift. Used directly (tests, one-core
 * deployments) and inside each worker process by `sfu/worker/`.
 */
import { TypedEmitter } from '../emitter.ts';
import type {
  CloseReason, LayerPreference, PublishRequest, RelayAttach, RelayOffer, ResourceRole, SessionAnswer, SfuEngine, SfuEngineEvents,
  ShowStats, ViewerInfo, ViewRequest, WorkerStats,
} from '../engine.ts';
import { RelayFeed } from '../relay/RelayFeed.ts';
import { RelaySource } from '../relay/RelaySource.ts';
import { SfuError } from '../errors.ts';
import { isValidShowId } from '../tokens.ts';
import { installFastHeaders } from './fastHeaders.ts';
import { JoinAdmission } from './JoinAdmission.ts';
import type { NetworkOptions } from './peerConfig.ts';
import { LAYER_NAMES, WeriftPublisher } from './WeriftPublisher.ts';
import { WeriftShow } from './WeriftShow.ts';
import { WeriftViewer } from './WeriftViewer.ts';

/** Relays one show may feed at once (other workers of the host, edge hosts). */
const MAX_FEEDS_PER_SHOW = 64;

export interface WeriftEngineOptions extends NetworkOptions {
  /** Minimum time between keyframe requests per layer to a publisher (default 300 ms, Chromium's own minimum keyframe spacing). */
  keyframeIntervalMs?: number;
  /** REMB cap sent to publishers, bps (default 4 Mbps). */
  maxPublisherBitrate?: number;
  /** Time a new session has to connect before it is dropped (default 15 s). */
  connectTimeoutMs?: number;
  /** Index of the worker running this engine (stats). */
  worker?: number;
  /** No publisher packet for this long marks a show stalled (default 3 s). */
  stallAfterMs?: number;
  /** A show stalled this long ends with reason `stalled` (default 30 s). */
  stallEndMs?: number;
  /** Share of one core (0..1) this engine's process may use and still admit viewer joins (default 0.8). */
  joinCpuBudget?: number;
  /** Viewer joins that may be connecting at once; more wait in line up to 5 s, then are refused (default 8). */
  maxConnectingJoins?: number;
  /** Event-loop delay (ms) above which viewer joins are refused (default 250, half a publisher's 500 ms consent timeout). */
  maxJoinLoopDelayMs?: number;
}

export class WeriftEngine implements SfuEngine {
  readonly events = new TypedEmitter<SfuEngineEvents>();
  readonly #options: WeriftEngineOptions;
  /** Connected (or connecting) publisher per show. */
  readonly #publishers = new Map<string, WeriftPublisher>();
  readonly #shows = new Map<string, WeriftShow>();
  readonly #viewers = new Map<string, WeriftViewer>();
  /** Shows in #shows whose source is a relay (a copy of a show held by another worker or host). */
  readonly #relayed = new Set<string>();
  /** Relays being attached (their feed not answered yet). */
  readonly #attaching = new Set<string>();
  /** Token subject of each viewer session, for `evictViewer`. */
  readonly #viewerSubs = new Map<string, string>();
  /** Per show, the viewer subjects evicted from it (refused until the show ends). */
  readonly #evicted = new Map<string, Set<string>>();
  readonly #admission: JoinAdmission;
  #closed = false;

  constructor(options: WeriftEngineOptions = {}) {
    this.#options = options;
    this.#admission = new JoinAdmission({
      cpuBudget: options.joinCpuBudget ?? 0.8,
      maxConnecting: options.maxConnectingJoins ?? 8,
      queueTimeoutMs: 5000,
      maxLoopDelayMs: options.maxJoinLoopDelayMs ?? 250,
    });
    installFastHeaders();
  }

  get closed(): boolean { return this.#closed; }

  #check(showId: string): void {
    if (this.#closed) throw new SfuError('SFU_CLOSED', 'the SFU is shutting down');
    if (!isValidShowId(showId)) throw new SfuError('SFU_BAD_REQUEST', 'invalid show id');
  }

  async publish(request: PublishRequest): Promise<SessionAnswer> {
    this.#check(request.showId);
    const { showId } = request;
    const publisher = new WeriftPublisher({
      showId,
      network: this.#options,
      maxBitrate: this.#options.maxPublisherBitrate ?? 4_000_000,
      connectTimeoutMs: this.#options.connectTimeoutMs ?? 15_000,
    });
    let answerSdp: string;
    try {
      answerSdp = await publisher.answer(request.offerSdp);
    } catch (err) {
      await publisher.close('disconnected');
      throw err;
    }
    if (this.#closed) {
      await publisher.close('engine-closed');
      throw new SfuError('SFU_CLOSED', 'the SFU is shutting down');
    }
    // A new publisher for the show replaces the old one (reconnect after a network change).
    const previous = this.#publishers.get(showId);
    this.#publishers.set(showId, publisher);
    if (previous) {
      const show = this.#shows.get(showId);
      if (show && show.publisher === previous) await this.#endShow(show, 'replaced');
      else {
        this.events.emit('resourceclosed', showId, previous.id, 'publisher', 'replaced');
        await previous.close('replaced');
      }
    }
    publisher.events.on('connected', () => {
      if (this.#publishers.get(showId) !== publisher) return;
      // Published here now: a relayed copy of it (this host was its edge) gives way.
      const copy = this.#relayed.has(showId) ? this.#shows.get(showId) : undefined;
      if (copy) void this.#endRelay(copy, 'replaced');
      const show = new WeriftShow(publisher, {
        showId,
        keyframeIntervalMs: this.#options.keyframeIntervalMs ?? 300,
        worker: this.#options.worker ?? 0,
        stallAfterMs: this.#options.stallAfterMs ?? 3000,
        stallEndMs: this.#options.stallEndMs ?? 30_000,
      });
      this.#shows.set(showId, show);
      show.events.on('viewercount', (n) => this.events.emit('viewercount', showId, n));
      show.events.on('stalled', () => {
        console.warn(`sfu: show ${showId} stalled: no media from its publisher`);
        this.events.emit('showstalled', showId);
      });
      show.events.on('resumed', () => this.events.emit('showresumed', showId));
      this.events.emit('showstarted', showId);
    });
    publisher.events.on('close', (reason) => {
      if (this.#publishers.get(showId) === publisher) this.#publishers.delete(showId);
      const show = this.#shows.get(showId);
      if (show && show.publisher === publisher) void this.#endShow(show, reason);
      else this.events.emit('resourceclosed', showId, publisher.id, 'publisher', reason);
    });
    return { resourceId: publisher.id, answerSdp };
  }

  async #endShow(show: WeriftShow, reason: CloseReason): Promise<void> {
    if (this.#shows.get(show.showId) === show) this.#shows.delete(show.showId);
    // Evictions last as long as the show: a media drop or a new publisher keeps it (signaling's show goes on).
    if (reason === 'deleted' || reason === 'stalled' || reason === 'engine-closed') this.#evicted.delete(show.showId);
    const viewers = [...this.#viewers.values()].filter((v) => v.showId === show.showId);
    const viewerReason: CloseReason = reason === 'worker-died' || reason === 'engine-closed' ? reason : 'show-ended';
    await Promise.all(viewers.map((v) => v.close(viewerReason)));
    await show.close(reason);
    this.events.emit('resourceclosed', show.showId, show.publisher.id, 'publisher', reason);
    this.events.emit('showended', show.showId, reason);
  }

  async view(request: ViewRequest): Promise<SessionAnswer> {
    this.#check(request.showId);
    const show = this.#shows.get(request.showId);
    if (!show || show.closed) throw new SfuError('SFU_UNKNOWN_SHOW', 'nobody is publishing this show');
    if (this.#evicted.get(request.showId)?.has(request.sub)) throw new SfuError('SFU_FORBIDDEN', 'this viewer was removed from the show');
    const release = await this.#admission.admit();
    try {
      return await this.#join(show, request, release);
    } catch (err) {
      release();
      throw err;
    }
  }

  async #join(show: WeriftShow, request: ViewRequest, release: () => void): Promise<SessionAnswer> {
    if (show.closed) throw new SfuError('SFU_UNKNOWN_SHOW', 'the show ended');
    const viewer = new WeriftViewer({
      showId: request.showId,
      network: this.#options,
      video: { mimeType: show.publisher.videoMime, parameters: show.publisher.videoFmtp },
      preference: request.layer ?? 'auto',
      connectTimeoutMs: this.#options.connectTimeoutMs ?? 15_000,
    });
    let answerSdp: string;
    try {
      answerSdp = await viewer.answer(request.offerSdp);
    } catch (err) {
      await viewer.close('disconnected');
      throw err;
    }
    if (show.closed) {
      await viewer.close('show-ended');
      throw new SfuError('SFU_UNKNOWN_SHOW', 'the show ended');
    }
    if (this.#evicted.get(request.showId)?.has(request.sub)) {
      await viewer.close('evicted');
      throw new SfuError('SFU_FORBIDDEN', 'this viewer was removed from the show');
    }
    this.#viewers.set(viewer.id, viewer);
    this.#viewerSubs.set(viewer.id, request.sub);
    viewer.events.on('connected', release);
    viewer.events.on('close', (reason) => {
      release();
      this.#viewers.delete(viewer.id);
      this.#viewerSubs.delete(viewer.id);
      this.events.emit('resourceclosed', viewer.showId, viewer.id, 'viewer', reason);
      // A relayed copy ends with its last viewer.
      if (this.#relayed.has(viewer.showId)) this.#closeIfUnwatched(show);
    });
    show.addViewer(viewer);
    return { resourceId: viewer.id, answerSdp };
  }

  #viewer(showId: string, resourceId: string): WeriftViewer {
    const v = this.#viewers.get(resourceId);
    if (!v || v.showId !== showId) throw new SfuError('SFU_UNKNOWN_RESOURCE', 'no such viewer session');
    return v;
  }

  async setLayer(showId: string, resourceId: string, preference: LayerPreference): Promise<void> {
    const viewer = this.#viewer(showId, resourceId);
    const show = this.#shows.get(showId);
    if (!show) throw new SfuError('SFU_UNKNOWN_SHOW', 'the show ended');
    show.setPreference(viewer, preference);
  }

  async viewerInfo(showId: string, resourceId: string): Promise<ViewerInfo> {
    const v = this.#viewer(showId, resourceId);
    return {
      showId, resourceId, preference: v.preference,
      ...(v.current >= 0 ? { current: LAYER_NAMES[v.current]! } : {}),
    };
  }

  resourceRole(showId: string, resourceId: string): ResourceRole | undefined {
    const p = this.#publishers.get(showId);
    if (p && p.id === resourceId) return 'publisher';
    const v = this.#viewers.get(resourceId);
    if (v && v.showId === showId) return 'viewer';
    return undefined;
  }

  async closeResource(showId: string, resourceId: string, role: ResourceRole): Promise<void> {
    if (this.resourceRole(showId, resourceId) !== role) {
      throw new SfuError('SFU_UNKNOWN_RESOURCE', `no such ${role} session`);
    }
    if (role === 'viewer') await this.#viewers.get(resourceId)!.close('deleted');
    else await this.#publishers.get(showId)!.close('deleted');
  }

  async closeShow(showId: string): Promise<void> {
    const p = this.#publishers.get(showId);
    if (p) await p.close('deleted');
  }

  async evictViewer(showId: string, sub: string): Promise<void> {
    this.#check(showId);
    if (!this.#shows.has(showId) && !this.#publishers.has(showId)) return;
    let evicted = this.#evicted.get(showId);
    if (!evicted) this.#evicted.set(showId, (evicted = new Set()));
    evicted.add(sub);
    const gone = [...this.#viewers.values()].filter((v) => v.showId === showId && this.#viewerSubs.get(v.id) === sub);
    await Promise.all(gone.map((v) => v.close('evicted')));
  }

  async readmitViewer(showId: string, sub: string): Promise<void> {
    this.#evicted.get(showId)?.delete(sub);
  }

  hasShow(showId: string): boolean {
    return this.#shows.has(showId) && !this.#relayed.has(showId);
  }

  hasRelay(showId: string): boolean {
    return this.#relayed.has(showId);
  }

  async openRelay(showId: string, bindIp?: string): Promise<RelayOffer> {
    this.#check(showId);
    const show = this.#shows.get(showId);
    if (!show || show.closed) throw new SfuError('SFU_UNKNOWN_SHOW', 'nobody is publishing this show');
    // Each relay serves a whole worker or host of viewers: more than this many is a misbehaving peer.
    if (show.openFeeds >= MAX_FEEDS_PER_SHOW) throw new SfuError('SFU_OVERLOADED', 'this show feeds as many relays as it may');
    const listen = this.#options.listenIp;
    const feed = await RelayFeed.open({ bindIp: bindIp ?? (listen && listen !== '0.0.0.0' ? listen : '0.0.0.0') });
    if (show.closed) { await feed.close(); throw new SfuError('SFU_UNKNOWN_SHOW', 'the show ended'); }
    show.addFeed(feed);
    const { videoMime, videoFmtp } = show.publisher;
    return { port: feed.port, sessionId: feed.sessionId, video: { mimeType: videoMime, ...(videoFmtp ? { parameters: videoFmtp } : {}) } };
  }

  async attachRelay(showId: string, relay: RelayAttach): Promise<void> {
    this.#check(showId);
    if (this.#shows.has(showId) || this.#attaching.has(showId)) throw new SfuError('SFU_SHOW_BUSY', 'this show is already served here');
    this.#attaching.add(showId);
    let source: RelaySource;
    try {
      source = await RelaySource.connect(relay);
    } finally {
      this.#attaching.delete(showId);
    }
    if (this.#closed || this.#shows.has(showId)) {
      await source.close('engine-closed');
      throw new SfuError(this.#closed ? 'SFU_CLOSED' : 'SFU_SHOW_BUSY', 'the relay is not needed any more');
    }
    const show = new WeriftShow(source, {
      showId,
      keyframeIntervalMs: this.#options.keyframeIntervalMs ?? 300,
      worker: this.#options.worker ?? 0,
      stallAfterMs: this.#options.stallAfterMs ?? 3000,
      stallEndMs: this.#options.stallEndMs ?? 30_000,
      relayed: true,
    });
    this.#shows.set(showId, show);
    this.#relayed.add(showId);
    show.events.on('viewercount', (n) => this.events.emit('relayviewercount', showId, n));
    source.events.on('close', (reason) => { void this.#endRelay(show, reason); });
    // A copy nobody watches is not kept: its first viewer has the connect timeout to arrive.
    const idle = setTimeout(() => this.#closeIfUnwatched(show), this.#options.connectTimeoutMs ?? 15_000);
    idle.unref();
    show.events.on('close', () => clearTimeout(idle));
  }

  async closeRelay(showId: string, reason: CloseReason): Promise<void> {
    const show = this.#shows.get(showId);
    if (show && this.#relayed.has(showId)) await show.publisher.close(reason);
  }

  #closeIfUnwatched(show: WeriftShow): void {
    if (show.closed || this.#shows.get(show.showId) !== show) return;
    for (const v of this.#viewers.values()) if (v.showId === show.showId) return;
    void show.publisher.close('deleted');
  }

  async #endRelay(show: WeriftShow, reason: CloseReason): Promise<void> {
    if (this.#shows.get(show.showId) !== show) return;
    this.#shows.delete(show.showId);
    this.#relayed.delete(show.showId);
    const viewers = [...this.#viewers.values()].filter((v) => v.showId === show.showId);
    const viewerReason: CloseReason = reason === 'worker-died' || reason === 'engine-closed' ? reason : 'show-ended';
    await Promise.all(viewers.map((v) => v.close(viewerReason)));
    await show.close(reason);
    this.events.emit('relayended', show.showId, reason);
  }

  async showStats(): Promise<ShowStats[]> {
    return [...this.#shows.values()].map((s) => s.stats());
  }

  async workerStats(): Promise<WorkerStats[]> {
    const cpu = process.cpuUsage();
    let forwarded = 0;
    for (const s of this.#shows.values()) forwarded += s.forwardedPackets;
    return [{
      worker: this.#options.worker ?? 0,
      pid: process.pid,
      shows: this.#shows.size,
      viewers: this.#viewers.size,
      cpuMicros: cpu.user + cpu.system,
      cpuSystemMicros: cpu.system,
      forwardedPackets: forwarded,
      cpuLoad: this.#admission.load,
      loopDelayMs: this.#admission.loopDelayMs,
      worstLoopDelayMs: this.#admission.worstLoopDelayMs,
      joinsRefused: this.#admission.refused,
    }];
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#admission.close();
    const shows = [...this.#shows.values()];
    await Promise.all(shows.map((s) => (this.#relayed.has(s.showId) ? this.#endRelay(s, 'engine-closed') : this.#endShow(s, 'engine-closed'))));
    await Promise.all([...this.#publishers.values()].map((p) => p.close('engine-closed')));
    await Promise.all([...this.#viewers.values()].map((v) => v.close('engine-closed')));
  }
}
