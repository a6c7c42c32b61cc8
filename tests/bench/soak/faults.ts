/**
 * The soak's faults, at seeded random moments: kill the SFU worker that hosts the show (SIGKILL; the pool restarts
 * it and its publisher and viewers come back), restart Redis (SIGTERM, down for a moment, started again on its
 * append-only file), and kill the second signaling process (SIGKILL or SIGTERM, at random) and start it again on
 * the same port. One fault at a time; the kinds take turns (each round of three in a random order).
 */
import type { Rng } from './rng.ts';
import type { SoakNode } from './soak-node.ts';
import type { SoakRedis } from './soak-redis.ts';

export type FaultKind = 'sfu_worker_kill' | 'redis_restart' | 'signaling_restart';

export interface Fault { kind: FaultKind; atMs: number; detail: string }

export interface FaultTargets {
  /** The signaling process that runs the SFU. */
  media: SoakNode;
  /** The signaling process that is restarted. */
  second: SoakNode;
  redis: SoakRedis;
  showId(): string;
}

const KINDS: FaultKind[] = ['sfu_worker_kill', 'redis_restart', 'signaling_restart'];
/** Quiet time at the start (everyone set up) and at the end (reconnects land before the accounting). */
const LEAD_MS = 8_000;
const TAIL_MS = 12_000;
/** Faults closer than this would overlap a previous one's recovery. */
const MIN_GAP_MS = 6_000;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export class FaultPlan {
  readonly planned: { kind: FaultKind; atMs: number }[];
  readonly #rng: Rng;
  readonly done: Fault[] = [];
  #stopped = false;

  private constructor(planned: { kind: FaultKind; atMs: number }[], rng: Rng) {
    this.planned = planned;
    this.#rng = rng;
  }

  /** About one fault per 20 s (at least one of each kind), spread over the run. */
  static random(rng: Rng, durationMs: number): FaultPlan {
    const window = Math.max(0, durationMs - LEAD_MS - TAIL_MS);
    const count = Math.max(KINDS.length, Math.min(Math.floor(window / MIN_GAP_MS), Math.round(durationMs / 20_000)));
    // Rounds of the three kinds, each round in a random order: every kind as often as the others.
    const kinds: FaultKind[] = [];
    while (kinds.length < count) {
      const round = [...KINDS];
      for (let i = round.length - 1; i > 0; i--) {
        const j = rng.int(i + 1);
        [round[i], round[j]] = [round[j]!, round[i]!];
      }
      kinds.push(...round.slice(0, count - kinds.length));
    }
    // Evenly spaced slots, each moment drawn at random inside its slot (keeps the minimum gap).
    const slot = window / count;
    const planned = kinds.map((kind, i) => ({ kind, atMs: Math.round(LEAD_MS + i * slot + rng.next() * Math.max(0, slot - MIN_GAP_MS)) }));
    return new FaultPlan(planned, rng);
  }

  /** Injects the faults, each at `startedAt + atMs`; resolves when done or stopped. */
  async run(startedAt: number, t: FaultTargets, log: (line: string) => void): Promise<void> {
    for (const f of this.planned) {
      while (!this.#stopped && Date.now() < startedAt + f.atMs) await sleep(Math.min(200, startedAt + f.atMs - Date.now()));
      if (this.#stopped) return;
      const at = Date.now() - startedAt;
      let detail = '';
      try {
        detail = await this.#inject(f.kind, t);
      } catch (err) {
        detail = `failed: ${(err as Error).message}`;
      }
      this.done.push({ kind: f.kind, atMs: at, detail });
      log(`fault at ${(at / 1000).toFixed(1)} s: ${f.kind} ${detail}`);
    }
  }

  stop(): void {
    this.#stopped = true;
  }

  async #inject(kind: FaultKind, t: FaultTargets): Promise<string> {
    if (kind === 'sfu_worker_kill') {
      const { pids, shows } = await t.media.workers();
      const hosting = shows.find((s) => s.showId === t.showId())?.worker;
      const index = hosting ?? this.#rng.int(pids.length);
      const pid = pids[index];
      if (!pid) return 'skipped: no live worker';
      t.media.killWorker(pid);
      return `worker ${index} (pid ${pid})${hosting === undefined ? '' : ', the show\'s'}`;
    }
    if (kind === 'redis_restart') {
      const downMs = 500 + this.#rng.int(2_000);
      await t.redis.restart(downMs);
      return `down ${downMs} ms`;
    }
    const signal = this.#rng.next() < 0.5 ? 'SIGKILL' : 'SIGTERM';
    const downMs = this.#rng.int(2_000);
    const began = Date.now();
    await t.second.restart(signal, downMs);
    return `${t.second.name} ${signal}, down ${downMs} ms, back after ${Date.now() - began} ms`;
  }
}
