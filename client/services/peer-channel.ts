/**
 * The call's data channel between the two browsers: text chat (never through signaling), vouchers as a second
 * path, and the reason of a hang-up. Every message from the peer is validated before use: the other browser may
 * be modified.
 */
import { z } from 'zod';
import { Amount, LIMITS, Voucher } from '../../signaling/protocol.ts';
import { isClientErrorCode, type ClientErrorCode } from '../errors.ts';
import { Emitter } from './emitter.ts';

const MAX_MESSAGE_BYTES = 4_096;

const Message = z.discriminatedUnion('t', [
  z.strictObject({ t: z.literal('chat'), text: z.string().min(1).max(LIMITS.chatMaxLength) }),
  z.strictObject({ t: z.literal('voucher'), voucher: Voucher, tip: Amount.optional() }),
  z.strictObject({ t: z.literal('bye'), code: z.string().max(64).refine(isClientErrorCode) }),
]);
export type PeerMessage = z.infer<typeof Message> & ({ t: 'chat' | 'voucher' } | { t: 'bye'; code: ClientErrorCode });

type Events = { open: []; message: [PeerMessage]; close: [] };

export class PeerChannel {
  readonly events = new Emitter<Events>();
  readonly #dc: RTCDataChannel;
  #closed = false;
  /** Messages from the peer that failed validation (dropped). */
  rejected = 0;

  constructor(dc: RTCDataChannel) {
    this.#dc = dc;
    dc.addEventListener('open', () => this.events.emit('open'));
    dc.addEventListener('close', () => this.events.emit('close'));
    dc.addEventListener('message', (e: MessageEvent) => this.#onMessage(e.data));
  }

  get open(): boolean { return !this.#closed && this.#dc.readyState === 'open'; }

  send(message: PeerMessage): void {
    if (this.open) this.#dc.send(JSON.stringify(message));
  }

  /** Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#dc.close();
    this.events.clear();
  }

  #onMessage(data: unknown): void {
    if (this.#closed) return;
    if (typeof data !== 'string' || data.length > MAX_MESSAGE_BYTES) { this.rejected++; return; }
    let parsed: unknown;
    try {
      parsed = JSON.parse(data);
    } catch {
      this.rejected++;
      return;
    }
    const result = Message.safeParse(parsed);
    if (!result.success) { this.rejected++; return; }
    this.events.emit('message', result.data as PeerMessage);
  }
}
