/**
 * An SFU host running in its own process tells signaling what its engine does through Redis: every engine
 * lifecycle event is appended, in order, to the host's stream `lc:sfuev:<id>` (fields `e`: event name,
 * `a`: JSON arguments), which one signaling process at a time reads (signaling/remote-sfu.ts); and it obeys
 * `closeShow` commands published on `lc:sfucmd` (signaling ends a show: every host drops its media,
 * edges included).
 */
import { createClient } from 'redis';
import type { SfuEngine, SfuEngineEvents } from './engine.ts';

type RedisClient = ReturnType<typeof createClient>;

export const SFU_EVENTS_STREAM = (id: string): string => `lc:sfuev:${id}`;
export const SFU_COMMANDS_CHANNEL = 'lc:sfucmd';
/** Followed events; `resourceclosed` stays inside the host (its HTTP event streams use it). */
export const FOLLOWED_EVENTS = ['showstarted', 'showstalled', 'showresumed', 'showended', 'viewercount'] as const satisfies readonly (keyof SfuEngineEvents)[];
/** Entries a stream keeps: enough to cover a signaling process taking over a host's stream. */
const STREAM_LENGTH = 2000;

export interface SfuHostEventsOptions {
  /** Connected client that writes the stream (shared with the registry is fine). */
  redis: RedisClient;
  /** A second connected client, used only for the command subscription (a subscriber cannot send commands). */
  subscriber: RedisClient;
  engine: SfuEngine;
  /** Host id. */
  id: string;
  /** Told when an append or a command fails. */
  onError?: (err: unknown) => void;
}

export class SfuHostEvents {
  readonly #o: SfuHostEventsOptions;
  readonly #listeners: [keyof SfuEngineEvents, (...args: unknown[]) => void][] = [];
  /** Appends in engine order (one at a time). */
  #tail: Promise<unknown> = Promise.resolve();
  #closed = false;

  constructor(options: SfuHostEventsOptions) {
    this.#o = options;
  }

  async start(): Promise<void> {
    const { engine, redis, id } = this.#o;
    for (const event of FOLLOWED_EVENTS) {
      const listener = (...args: unknown[]) => {
        this.#tail = this.#tail.then(() => redis.xAdd(SFU_EVENTS_STREAM(id), '*', { e: event, a: JSON.stringify(args) },
          { TRIM: { strategy: 'MAXLEN', strategyModifier: '~', threshold: STREAM_LENGTH } }))
          .catch((err: unknown) => this.#o.onError?.(err));
      };
      engine.events.on(event, listener as never);
      this.#listeners.push([event, listener]);
    }
    await this.#o.subscriber.subscribe(SFU_COMMANDS_CHANNEL, (message) => {
      let command: { closeShow?: unknown };
      try { command = JSON.parse(message) as { closeShow?: unknown }; } catch { return; }
      if (typeof command.closeShow !== 'string' || !engine.hasShow(command.closeShow)) return;
      engine.closeShow(command.closeShow).catch((err: unknown) => this.#o.onError?.(err));
    });
  }

  /** Waits until every event so far is in the stream. */
  flushed(): Promise<void> {
    return this.#tail.then(() => undefined);
  }

  /** Stops following the engine and the commands (idempotent); the clients stay open. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    for (const [event, listener] of this.#listeners) this.#o.engine.events.off(event, listener as never);
    await this.flushed();
    await this.#o.subscriber.unsubscribe(SFU_COMMANDS_CHANNEL).catch(() => undefined);
  }
}
