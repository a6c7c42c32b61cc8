/**
 * A host being stopped: `start()` once, and every WHEP event stream of the host's router tells its viewer to
 * `reconnect` (reason `draining`: ask signaling again, which places it on another host), while new WHIP/WHEP
 * sessions are refused with `SFU_CLOSED`.
 */
import { TypedEmitter } from './emitter.ts';

export class SfuDrain {
  readonly events = new TypedEmitter<{ draining: [] }>();
  #draining = false;

  get draining(): boolean { return this.#draining; }

  /** Idempotent. */
  start(): void {
    if (this.#draining) return;
    this.#draining = true;
    this.events.emit('draining');
  }
}
