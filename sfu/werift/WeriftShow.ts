/**
 * One public show inside one process: its publisher, its viewers, the
 * per-layer packet cache (NACKs), keyframe-request aggregation, and the
 * per-viewer layer choice. Fan-out is a plain loop over an array: the
 * per-packet facts (keyframe, VP8 picture id) are computed once here.
 */
import type { RtpPacket } from 'werift';
import { TypedEmitter } from '../emitter.ts';
import type { CloseReason, LayerPreference, ShowStats } from '../engine.ts';
import { readVp8PictureId, vp8PictureIdOffsets } from '../rtp/codec.ts';
import { FanoutBatch, MAX_FORWARD_PAYLOAD } from '../rtp/FanoutBatch.ts';
import { KeyframeRequester } from '../rtp/KeyframeRequester.ts';
import { LayerSelector } from '../rtp/LayerSelector.ts';
import type { RelayFeed } from '../relay/RelayFeed.ts';
import type { ShowSource } from './ShowSource.ts';
import { LAYER_NAMES } from './WeriftPublisher.ts';
import type { VideoPacketInfo, WeriftViewer } from './WeriftViewer.ts';

const CACHE = 1024;
/**
 * A joining viewer is started from the cached picture group when it is at
 * most this old and long: a longer replay is a burst that overflows the
 * viewer's socket buffer and loses the keyframe it was meant to deliver.
 */
const GOP_MAX_AGE_MS = 1000;
const GOP_MAX_PACKETS = 150;

/**
 * The packets of one layer since its last complete keyframe, replayed to a
 * joining viewer. A newer keyframe still arriving (the publisher paces a big
 * keyframe over a few hundred ms) is appended, not started over: until its
 * last packet is in, a joiner needs the older one to show anything.
 */
interface PictureGroup {
  startedAt: number;
  packets: VideoPacketInfo[];
  /** Index in `packets` where a newer, incomplete keyframe begins (-1 none), and its RTP timestamp. */
  pending: number;
  pendingTimestamp: number;
}
/** Upper bounds (kbps) of the viewer-estimate buckets in stats. */
const ESTIMATE_BUCKETS_KBPS = [250, 500, 1000, 2000, 4000];
const PREF_INDEX: Record<Exclude<LayerPreference, 'auto'>, number> = { low: 0, medium: 1, high: 2 };

export interface WeriftShowOptions {
  showId: string;
  /** Minimum time between two keyframe requests per layer to the publisher. */
  keyframeIntervalMs: number;
  /** Worker index, for stats. */
  worker: number;
  /** No publisher packet for this long marks the show stalled. */
  stallAfterMs: number;
  /** A show stalled this long ends: the publisher is closed with reason `stalled`. */
  stallEndMs: number;
  /** The source is a relay of a show held by another worker or host. */
  relayed?: boolean;
}

export class WeriftShow {
  readonly showId: string;
  readonly events = new TypedEmitter<{ viewercount: [number]; stalled: []; resumed: []; close: [CloseReason] }>();
  /** The show's source: its publisher, or a relay of the show from another worker or host. */
  readonly publisher: ShowSource;
  /** Relays feeding this show's media to other workers or hosts (each gets every packet once). */
  #feeds: RelayFeed[] = [];
  /** Feeds opened and not closed yet (streaming or waiting for their source's HELLO). */
  readonly #openFeeds = new Set<RelayFeed>();
  #feedsEnded = 0;
  #endedFeedPackets = 0;
  /** Keyframe requests that came from relays (their viewers'), before aggregation here. */
  relayKeyframeRequests = 0;
  /** Relays opened and not ended (streaming, or waiting for their source's first HELLO). */
  get openFeeds(): number { return this.#openFeeds.size; }
  readonly keyframes: KeyframeRequester;
  #viewers: WeriftViewer[] = [];
  readonly #cache: (RtpPacket | undefined)[][] = [new Array(CACHE), new Array(CACHE), new Array(CACHE)];
  readonly #gop: (PictureGroup | undefined)[] = [undefined, undefined, undefined];
  readonly #info: VideoPacketInfo;
  /** Viewers' copies of the packet being forwarded, sent in one native call (undefined without the addon). */
  readonly #batch = FanoutBatch.available ? new FanoutBatch() : undefined;
  readonly #options: WeriftShowOptions;
  readonly #timer: NodeJS.Timeout;
  #closed = false;
  forwardedPackets = 0;
  /** Source packets too big to forward (see MAX_FORWARD_PAYLOAD). */
  oversizeDropped = 0;
  #forwardedBytesAtWindow = 0;
  forwardedBitrate = 0;
  /** When the last publisher packet (any layer or audio) arrived; starts at connection. */
  #lastMediaAt = performance.now();
  /** When the show was marked stalled (-1: media flowing). */
  #stalledAt = -1;
  #selectors = new Map<WeriftViewer, LayerSelector>();
  #windowAt = performance.now();

  constructor(publisher: ShowSource, options: WeriftShowOptions) {
    this.showId = options.showId;
    this.publisher = publisher;
    this.#options = options;
    // Chromium's VP8 encoder keys every simulcast layer on one layer's PLI: one interval serves them all.
    this.keyframes = new KeyframeRequester(options.keyframeIntervalMs, (layer) => publisher.requestKeyframe(layer), publisher.videoCodec === 'vp8');
    this.#info = { layer: 0, packet: undefined as unknown as RtpPacket, keyframe: false, pidOffset: -1, pidLong: false, pid: 0, receivedAt: 0 };
    publisher.sink = {
      video: (layer, packet, keyframe) => this.#onVideo(layer, packet, keyframe),
      audio: (packet) => this.#onAudio(packet),
    };
    // Layer choice runs twice a second; a viewer whose estimator sees congestion is re-chosen at once (its congested event).
    this.#timer = setInterval(() => this.#tick(), 500);
    this.#timer.unref();
  }

  get viewers(): readonly WeriftViewer[] { return this.#viewers; }
  get closed(): boolean { return this.#closed; }
  get stalled(): boolean { return this.#stalledAt >= 0; }

  #onVideo(layer: number, packet: RtpPacket, keyframe: boolean): void {
    if (packet.payload.length > MAX_FORWARD_PAYLOAD) { this.oversizeDropped++; return; }
    const seq = packet.header.sequenceNumber;
    this.#cache[layer]![seq & (CACHE - 1)] = packet;
    if (keyframe) this.keyframes.keyframeReceived(layer);
    const info = this.#info;
    info.layer = layer;
    info.packet = packet;
    info.keyframe = keyframe;
    info.receivedAt = performance.now();
    this.#lastMediaAt = info.receivedAt;
    if (this.publisher.videoCodec === 'vp8') {
      const o = vp8PictureIdOffsets(packet.payload);
      info.pidOffset = o.pid;
      info.pidLong = o.long;
      info.pid = o.pid >= 0 ? readVp8PictureId(packet.payload, o.pid, o.long) : 0;
    } else {
      info.pidOffset = -1;
    }
    this.#remember(info);
    const feeds = this.#feeds;
    for (let i = 0; i < feeds.length; i++) feeds[i]!.video(layer, packet);
    const viewers = this.#viewers;
    const batch = this.#batch;
    let sent = 0;
    for (let i = 0; i < viewers.length; i++) sent += viewers[i]!.forwardVideo(info, batch);
    if (batch) sent += batch.flush(packet.payload, info.pidOffset, info.pidLong);
    this.forwardedPackets += sent;
  }

  /** Keeps the layer's packets since its last complete keyframe (copies: `info` is reused per packet). */
  #remember(info: VideoPacketInfo): void {
    const layer = info.layer;
    const h = info.packet.header;
    let gop = this.#gop[layer];
    if (info.keyframe) {
      if (!gop) {
        gop = { startedAt: performance.now(), packets: [], pending: 0, pendingTimestamp: h.timestamp };
        this.#gop[layer] = gop;
      } else if (gop.pending < 0 || gop.pendingTimestamp !== h.timestamp) {
        gop.pending = gop.packets.length;
        gop.pendingTimestamp = h.timestamp;
      }
    }
    if (!gop) return;
    gop.packets.push({ ...info });
    if (gop.pending >= 0 && h.marker && h.timestamp === gop.pendingTimestamp) {
      // The newer keyframe is complete: it becomes the start of the group.
      gop.packets.splice(0, gop.pending);
      gop.pending = -1;
      gop.startedAt = performance.now();
    }
    if (gop.packets.length > GOP_MAX_PACKETS) {
      if (gop.pending > 0) {
        gop.packets.splice(0, gop.pending);
        gop.pending = 0;
      } else {
        this.#gop[layer] = undefined;
      }
    }
  }

  /**
   * Starts a viewer that has shown nothing yet from the cached keyframe and
   * the packets after it, so its first frame does not wait for the
   * publisher's next keyframe. True when the viewer now plays `layer`.
   */
  #startFromCache(viewer: WeriftViewer, layer: number): boolean {
    const gop = this.#gop[layer];
    if (viewer.current >= 0 || !gop || performance.now() - gop.startedAt > GOP_MAX_AGE_MS || gop.packets.length > GOP_MAX_PACKETS) return false;
    let sent = 0;
    for (const info of gop.packets) sent += viewer.forwardVideo(info);
    this.forwardedPackets += sent;
    return viewer.current === layer;
  }

  #onAudio(packet: RtpPacket): void {
    if (packet.payload.length > MAX_FORWARD_PAYLOAD) { this.oversizeDropped++; return; }
    const viewers = this.#viewers;
    const batch = this.#batch;
    let sent = 0;
    const now = performance.now();
    this.#lastMediaAt = now;
    const feeds = this.#feeds;
    for (let i = 0; i < feeds.length; i++) feeds[i]!.audio(packet);
    for (let i = 0; i < viewers.length; i++) sent += viewers[i]!.forwardAudio(packet, now, batch);
    if (batch) sent += batch.flush(packet.payload, -1, false);
    this.forwardedPackets += sent;
  }

  /** Source packet for a retransmission, if still cached. */
  lookup(layer: number, seq: number): RtpPacket | undefined {
    const p = this.#cache[layer]?.[seq & (CACHE - 1)];
    return p && p.header.sequenceNumber === seq ? p : undefined;
  }

  /**
   * Feeds the show to another worker or host: once its source says HELLO,
   * the cached picture groups go first (its first viewers then start at
   * once, as joiners here do), then every packet as it arrives.
   */
  addFeed(feed: RelayFeed): void {
    if (this.#closed) { void feed.close(); return; }
    feed.events.on('start', () => {
      if (this.#closed) return;
      for (const gop of this.#gop) {
        if (!gop || performance.now() - gop.startedAt > GOP_MAX_AGE_MS) continue;
        for (const info of gop.packets) feed.video(info.layer, info.packet);
      }
      this.#feeds = [...this.#feeds, feed];
    });
    feed.events.on('keyframe', (layer) => { this.relayKeyframeRequests++; this.keyframes.request(layer); });
    feed.events.on('close', () => {
      this.#feeds = this.#feeds.filter((f) => f !== feed);
      this.#openFeeds.delete(feed);
      this.#feedsEnded++;
      this.#endedFeedPackets += feed.packetsSent;
    });
    this.#openFeeds.add(feed);
  }

  addViewer(viewer: WeriftViewer): void {
    viewer.lookup = (layer, seq) => this.lookup(layer, seq);
    viewer.events.on('connected', () => {
      if (this.#closed) return;
      this.#viewers = [...this.#viewers, viewer];
      this.#chooseLayer(viewer);
      this.events.emit('viewercount', this.#viewers.length);
    });
    viewer.events.on('keyframeneeded', (layer) => this.keyframes.request(layer));
    viewer.events.on('congested', () => {
      if (!this.#closed && viewer.preference === 'auto' && this.#viewers.includes(viewer)) this.#chooseLayer(viewer);
    });
    viewer.events.on('close', () => {
      this.#selectors.delete(viewer);
      const before = this.#viewers.length;
      this.#viewers = this.#viewers.filter((v) => v !== viewer);
      if (this.#viewers.length !== before && !this.#closed) this.events.emit('viewercount', this.#viewers.length);
    });
  }

  setPreference(viewer: WeriftViewer, preference: LayerPreference): void {
    viewer.preference = preference;
    this.#chooseLayer(viewer);
  }

  /** Picks the layer a viewer should get; asks for a keyframe when it changes. */
  #chooseLayer(viewer: WeriftViewer): void {
    const active = this.publisher.activeLayers();
    const available = active.map((a, i) => (a ? i : -1)).filter((i) => i >= 0);
    if (available.length === 0) {
      // Nothing flowing yet: aim at the preference and wait for its first keyframe.
      const wanted = viewer.preference === 'auto' ? 2 : PREF_INDEX[viewer.preference];
      const known = this.publisher.layers.map((l, i) => (l ? i : -1)).filter((i) => i >= 0);
      viewer.target = known.length ? known.reduce((b, i) => (Math.abs(i - wanted) < Math.abs(b - wanted) ? i : b)) : wanted;
      return;
    }
    let wanted: number;
    if (viewer.preference === 'auto') {
      // Some loss keeps a REMB-only viewer where it is (heavy loss steps it down in #tick).
      const holdUp = !viewer.bwe && viewer.fractionLost > 0.02;
      wanted = this.#selector(viewer).choose(this.#rates(active), 2, viewer.estimate, viewer.congested, performance.now(), holdUp);
    } else {
      wanted = PREF_INDEX[viewer.preference];
    }
    // Best active layer at or below the wish, else the lowest above it.
    let target = -1;
    for (const i of available) if (i <= wanted) target = i;
    if (target < 0) target = available[0]!;
    if (target !== viewer.target || viewer.current !== target) {
      viewer.target = target;
      if (target < viewer.current && viewer.congested) viewer.drainUntilSwitch();
      if (viewer.current !== target) {
        // A replay from an older keyframe still asks for a new one, so that the next joiners get a short replay.
        const fromCache = this.#startFromCache(viewer, target);
        const gop = this.#gop[target];
        if (!fromCache || !gop || performance.now() - gop.startedAt > this.#options.keyframeIntervalMs) this.keyframes.request(target);
      }
    }
  }

  /**
   * A publisher whose ICE expired on its side (e.g. its consent checks were
   * answered too late) stops sending while our side still looks connected:
   * only the missing packets tell. Checked on the stats tick, not per packet.
   */
  #checkStall(now: number): void {
    const silentFor = now - this.#lastMediaAt;
    if (this.#stalledAt < 0) {
      if (silentFor < this.#options.stallAfterMs) return;
      this.#stalledAt = now;
      this.events.emit('stalled');
    } else if (silentFor < this.#options.stallAfterMs) {
      this.#stalledAt = -1;
      this.events.emit('resumed');
    } else if (now - this.#stalledAt >= this.#options.stallEndMs) {
      void this.publisher.close('stalled');
    }
  }

  /** The viewer's layer chooser for `auto` (made on first use). */
  #selector(viewer: WeriftViewer): LayerSelector {
    let s = this.#selectors.get(viewer);
    if (!s) { s = new LayerSelector(); this.#selectors.set(viewer, s); }
    return s;
  }

  /** What each flowing layer costs a viewer, bps (0: not flowing): its steady bitrate (see LayerState) and the audio beside it. */
  #rates(active: boolean[]): number[] {
    const audio = this.publisher.audioBitrate;
    return this.publisher.layers.map((l, i) => (l && active[i] ? Math.max(1, l.steadyBitrate + audio) : 0));
  }

  #tick(): void {
    const now = performance.now();
    this.#checkStall(now);
    if (this.#closed) return;
    const active = this.publisher.activeLayers();
    for (const v of this.#viewers) {
      if (v.preference === 'auto') {
        const selector = this.#selector(v);
        // A viewer without transport-cc only has its receiver reports to say it is losing packets.
        if (!v.bwe && v.fractionLost > 0.1) { selector.stepDown(now); v.fractionLost = 0; }
        this.#chooseLayer(v);
        const rates = this.#rates(active);
        v.prober.maybeProbe(v.bwe, selector.wantsProbe(rates, 2, v.estimate), v.sendRateBps, now);
      } else {
        this.#chooseLayer(v);
      }
    }
    const bytes = this.#viewers.reduce((n, v) => n + v.bytesSent, 0);
    const seconds = Math.max(0.05, (now - this.#windowAt) / 1000);
    this.forwardedBitrate = Math.max(0, ((bytes - this.#forwardedBytesAtWindow) * 8) / seconds);
    this.#forwardedBytesAtWindow = bytes;
    this.#windowAt = now;
  }

  stats(): ShowStats {
    const p = this.publisher;
    const perLayer = { high: 0, medium: 0, low: 0 };
    let loss = 0;
    let nacks = 0;
    let kfFromViewers = 0;
    let retransmittedBytes = 0;
    let nacksRefused = 0;
    let probes = 0;
    let probesSucceeded = 0;
    const viewersByEstimate: Record<string, number> = Object.fromEntries([...ESTIMATE_BUCKETS_KBPS.map(String), '+Inf', 'none'].map((b) => [b, 0]));
    for (const v of this.#viewers) {
      if (v.current >= 0) perLayer[LAYER_NAMES[v.current]!]++;
      loss += v.fractionLost;
      nacks += v.nacksAnswered;
      kfFromViewers += v.keyframeRequests;
      retransmittedBytes += v.retransmittedBytes;
      const r = v.retransmits;
      nacksRefused += r.refusedStale + r.refusedRepeat + r.refusedBudget;
      probes += v.prober.probes;
      probesSucceeded += v.prober.probesSucceeded;
      const kbps = v.estimate / 1000;
      const bucket = Number.isFinite(kbps) ? String(ESTIMATE_BUCKETS_KBPS.find((b) => kbps <= b) ?? '+Inf') : 'none';
      viewersByEstimate[bucket]!++;
    }
    const layers = p.layers.flatMap((l, i) => (l ? [{
      layer: LAYER_NAMES[i]!,
      bitrateKbps: Math.round(l.bitrate / 1000),
      packetsLost: l.lost,
      ...(l.width ? { width: l.width, height: l.height } : {}),
    }] : []));
    return {
      showId: this.showId,
      worker: this.#options.worker,
      viewers: this.#viewers.length,
      publisherBitrateKbps: Math.round((p.layers.reduce((n, l) => n + (l?.bitrate ?? 0), 0) + p.audioBitrate) / 1000),
      forwardedBitrateKbps: Math.round(this.forwardedBitrate / 1000),
      forwardedPackets: this.forwardedPackets,
      viewerLossFraction: this.#viewers.length ? loss / this.#viewers.length : 0,
      viewersPerLayer: perLayer,
      layers,
      keyframeRequestsFromViewers: kfFromViewers,
      keyframeRequestsToPublisher: this.keyframes.sent,
      nacksAnswered: nacks,
      oversizeDropped: this.oversizeDropped,
      retransmittedBytes,
      nacksRefused,
      probes,
      probesSucceeded,
      viewersByEstimate,
      relayed: this.#options.relayed ?? false,
      relayFeeds: this.#feeds.length,
      relayFeedsEnded: this.#feedsEnded,
      relayedPackets: [...this.#openFeeds].reduce((n, f) => n + f.packetsSent, this.#endedFeedPackets),
      relayKeyframeRequests: this.relayKeyframeRequests,
    };
  }

  /** Idempotent: closes the viewers with `reason` and the publisher. */
  async close(reason: CloseReason): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#timer);
    this.keyframes.close();
    const feeds = [...this.#openFeeds];
    this.#feeds = [];
    const viewers = this.#viewers;
    this.#viewers = [];
    this.events.emit('close', reason);
    this.events.removeAllListeners();
    await Promise.all([
      ...viewers.map((v) => v.close(reason === 'worker-died' ? reason : 'show-ended')),
      ...feeds.map((f) => f.close()),
      this.publisher.close(reason),
    ]);
  }
}
