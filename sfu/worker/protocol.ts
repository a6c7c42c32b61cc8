/** Messages between the WorkerPool (parent) and a worker process, over Node IPC. */
import type { SfuEngineEvents } from '../engine.ts';
import type { WeriftEngineOptions } from '../werift/WeriftEngine.ts';

export type EngineMethod =
  | 'publish' | 'view' | 'setLayer' | 'closeResource' | 'closeShow' | 'evictViewer' | 'readmitViewer' | 'viewerInfo' | 'showStats' | 'workerStats'
  | 'openRelay' | 'attachRelay' | 'closeRelay';

export type ToWorker =
  | { type: 'init'; options: WeriftEngineOptions }
  | { type: 'call'; id: number; method: EngineMethod; args: unknown[] }
  | { type: 'close' };

export type FromWorker =
  | { type: 'ready' }
  | { type: 'result'; id: number; ok: true; value: unknown }
  | { type: 'result'; id: number; ok: false; error: { code: string; message: string } }
  | { [K in keyof SfuEngineEvents]: { type: 'event'; name: K; args: SfuEngineEvents[K] } }[keyof SfuEngineEvents];
