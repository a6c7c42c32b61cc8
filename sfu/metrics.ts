/**
 * Per-show SFU figures for Prometheus (`/metrics`): viewers, bitrates, loss,
 * viewers per layer, keyframe requests, retransmissions, probes, viewers by
 * bandwidth estimate; and per-worker CPU and load.
 * Show ids are public listing ids, never people.
 */
import { Gauge, type Registry } from 'prom-client';
import type { SfuEngine, ShowStats, WorkerStats } from './engine.ts';

/** Registers the SFU gauges on `registry`; they query `engine` at scrape time. */
export function registerSfuMetrics(registry: Registry, engine: SfuEngine, prefix = 'sfu_'): void {
  let cache: { at: number; shows: Promise<ShowStats[]>; workers: Promise<WorkerStats[]> } | undefined;
  // One engine query per scrape, shared by every gauge.
  const snapshot = () => {
    const now = Date.now();
    if (!cache || now - cache.at > 500) {
      cache = { at: now, shows: engine.showStats().catch(() => []), workers: engine.workerStats().catch(() => []) };
    }
    return cache;
  };
  const showGauge = (name: string, help: string, value: (s: ShowStats) => number) =>
    new Gauge({
      name: prefix + name, help, labelNames: ['show'], registers: [registry],
      async collect() {
        this.reset();
        for (const s of await snapshot().shows) this.set({ show: s.showId }, value(s));
      },
    });
  showGauge('show_viewers', 'Connected viewers of the show', (s) => s.viewers);
  showGauge('show_publisher_bitrate_kbps', 'Bitrate received from the publisher, all layers', (s) => s.publisherBitrateKbps);
  showGauge('show_forwarded_bitrate_kbps', 'Bitrate forwarded to all viewers', (s) => s.forwardedBitrateKbps);
  showGauge('show_forwarded_packets', 'Packets forwarded since the show started', (s) => s.forwardedPackets);
  showGauge('show_viewer_loss_fraction', 'Mean fraction lost reported by viewers', (s) => s.viewerLossFraction);
  showGauge('show_keyframe_requests_to_publisher', 'Keyframe requests sent to the publisher (aggregated)', (s) => s.keyframeRequestsToPublisher);
  showGauge('show_keyframe_requests_from_viewers', 'Keyframe requests received from viewers', (s) => s.keyframeRequestsFromViewers);
  showGauge('show_nacks_answered', 'Retransmissions sent from the packet cache', (s) => s.nacksAnswered);
  showGauge('show_retransmitted_bytes', 'Bytes sent again for viewers\' NACKs', (s) => s.retransmittedBytes);
  showGauge('show_nacks_refused', 'NACKed packets not sent again (too old, repeated within an RTT, over the budget)', (s) => s.nacksRefused);
  showGauge('show_probes', 'Bandwidth probes sent to viewers', (s) => s.probes);
  showGauge('show_probes_succeeded', 'Bandwidth probes that showed room for a higher layer', (s) => s.probesSucceeded);
  showGauge('show_oversize_packets_dropped', 'Publisher packets dropped for exceeding a path MTU', (s) => s.oversizeDropped);
  new Gauge({
    name: prefix + 'show_layer_viewers', help: 'Viewers per simulcast layer', labelNames: ['show', 'layer'], registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot().shows) {
        for (const [layer, n] of Object.entries(s.viewersPerLayer)) this.set({ show: s.showId, layer }, n);
      }
    },
  });
  new Gauge({
    name: prefix + 'show_viewer_estimate_viewers', help: 'Viewers by bandwidth estimate (kbps upper bound; none: no estimate yet)',
    labelNames: ['show', 'le'], registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot().shows) {
        for (const [le, n] of Object.entries(s.viewersByEstimate)) this.set({ show: s.showId, le }, n);
      }
    },
  });
  new Gauge({
    name: prefix + 'show_layer_bitrate_kbps', help: 'Incoming bitrate per simulcast layer', labelNames: ['show', 'layer'], registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot().shows) for (const l of s.layers) this.set({ show: s.showId, layer: l.layer }, l.bitrateKbps);
    },
  });
  new Gauge({
    name: prefix + 'show_layer_packets_lost', help: 'Packets missing from the publisher per layer', labelNames: ['show', 'layer'], registers: [registry],
    async collect() {
      this.reset();
      for (const s of await snapshot().shows) for (const l of s.layers) this.set({ show: s.showId, layer: l.layer }, l.packetsLost);
    },
  });
  const workerGauge = (name: string, help: string, value: (w: WorkerStats) => number) =>
    new Gauge({
      name: prefix + name, help, labelNames: ['worker'], registers: [registry],
      async collect() {
        this.reset();
        for (const w of await snapshot().workers) this.set({ worker: String(w.worker) }, value(w));
      },
    });
  workerGauge('worker_cpu_seconds', 'CPU time used by the worker process', (w) => w.cpuMicros / 1e6);
  workerGauge('worker_shows', 'Shows placed on the worker', (w) => w.shows);
  workerGauge('worker_viewers', 'Viewers served by the worker', (w) => w.viewers);
}
