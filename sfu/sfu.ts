/**
 * Entry point of the SFU: `createSfu()` starts the engine (worker processes,
 * one per core by default) and returns it with an idempotent `close()`.
 * Signaling mounts `createSfuRouter({ engine: sfu.engine, ... })` and calls
 * `registerSfuMetrics(registry, sfu.engine)`.
 */
import { cpus, networkInterfaces } from 'node:os';
import type { SfuEngine } from './engine.ts';
import { WeriftEngine, type WeriftEngineOptions } from './werift/WeriftEngine.ts';
import { WorkerPool } from './worker/WorkerPool.ts';

export interface SfuOptions {
  /** Worker processes; 0 runs the engine in this process; default one per core. */
  workers?: number;
  /** Address announced in ICE candidates (NAT, containers). */
  announcedIp?: string;
  /**
   * Address to gather candidates on; pins werift to it (e.g. 127.0.0.1 outside a loopback-only
   * namespace). Default: all interfaces, or 127.0.0.1 when loopback is the only one.
   */
  listenIp?: string;
  /** UDP port range for ICE, split between workers. */
  rtcPortRange?: [number, number];
  /** Minimum time between keyframe requests per layer to a publisher (default 300 ms, Chromium's own minimum keyframe spacing). */
  keyframeIntervalMs?: number;
  /** REMB cap sent to publishers, bps (default 4 Mbps). */
  maxPublisherBitrate?: number;
  /** No publisher packet for this long marks a show stalled (default 3 s). */
  stallAfterMs?: number;
  /** A show stalled this long ends with reason `stalled` (default 30 s). */
  stallEndMs?: number;
  /** Share of one core (0..1) a worker may use (CPU time per wall time) and still admit viewer joins (default 0.8). */
  joinCpuBudget?: number;
  /** Viewer joins that may be connecting at once per worker; more wait in line up to 5 s (default 8). */
  maxConnectingJoins?: number;
  /** Event-loop delay (ms) of a worker above which viewer joins are refused (default 250). */
  maxJoinLoopDelayMs?: number;
  /** Viewers a worker takes before a show's further viewers spill to the other workers (default: no count, only the CPU budget). */
  viewersPerWorker?: number;
}

export interface Sfu {
  readonly engine: SfuEngine;
  /** Idempotent: ends every session, kills the workers, frees the ports. */
  close(): Promise<void>;
}

/** 127.0.0.1 when the host has no other IPv4 interface (a loopback-only namespace): werift skips loopback otherwise. */
function defaultListenIp(): string | undefined {
  const external = Object.values(networkInterfaces()).flat().some((i) => i && i.family === 'IPv4' && !i.internal);
  return external ? undefined : '127.0.0.1';
}

export async function createSfu(options: SfuOptions = {}): Promise<Sfu> {
  const workers = options.workers ?? Math.max(1, cpus().length);
  const listenIp = options.listenIp ?? defaultListenIp();
  const engineOptions: WeriftEngineOptions = {
    ...(options.announcedIp ? { announcedIp: options.announcedIp } : {}),
    ...(listenIp ? { listenIp } : {}),
    ...(options.keyframeIntervalMs ? { keyframeIntervalMs: options.keyframeIntervalMs } : {}),
    ...(options.maxPublisherBitrate ? { maxPublisherBitrate: options.maxPublisherBitrate } : {}),
    ...(options.stallAfterMs ? { stallAfterMs: options.stallAfterMs } : {}),
    ...(options.stallEndMs ? { stallEndMs: options.stallEndMs } : {}),
    ...(options.joinCpuBudget ? { joinCpuBudget: options.joinCpuBudget } : {}),
    ...(options.maxConnectingJoins ? { maxConnectingJoins: options.maxConnectingJoins } : {}),
    ...(options.maxJoinLoopDelayMs ? { maxJoinLoopDelayMs: options.maxJoinLoopDelayMs } : {}),
  };
  if (workers === 0) {
    const engine = new WeriftEngine({ ...engineOptions, ...(options.rtcPortRange ? { rtcPortRange: options.rtcPortRange } : {}) });
    return { engine, close: () => engine.close() };
  }
  const pool = await WorkerPool.start({
    workers, engine: engineOptions,
    ...(options.rtcPortRange ? { rtcPortRange: options.rtcPortRange } : {}),
    ...(options.viewersPerWorker ? { viewersPerWorker: options.viewersPerWorker } : {}),
  });
  return { engine: pool, close: () => pool.close() };
}
