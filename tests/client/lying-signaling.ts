/**
 * Test-only: a signaling link that lies, as a compromised server would. It wraps the real session and rewrites
 * what the call hears from the server (pushes and replies) before the call sees it, or makes up pushes. Never
 * used outside tests.
 */
import type { ClientEvent, Payload, Replies, ServerToClient } from '../../signaling/protocol.ts';
import type { CallSignaling } from '../../client/services/private-call.ts';

export type PushRewrite = <E extends keyof ServerToClient>(event: E, payload: Parameters<ServerToClient[E]>[0]) => Parameters<ServerToClient[E]>[0];
export type ReplyRewrite = <E extends ClientEvent>(event: E, reply: Replies[E]) => Replies[E];

export class LyingSignaling implements CallSignaling {
  readonly #real: CallSignaling;
  readonly #listeners = new Map<string, Set<(p: unknown) => void>>();
  pushRewrite: PushRewrite = (_e, p) => p;
  replyRewrite: ReplyRewrite = (_e, r) => r;

  constructor(real: CallSignaling) {
    this.#real = real;
  }

  async request<E extends ClientEvent>(event: E, payload: Payload<E>): Promise<Replies[E]> {
    return this.replyRewrite(event, await this.#real.request(event, payload));
  }

  listen<E extends keyof ServerToClient>(event: E, listener: ServerToClient[E]): () => void {
    const wrapped = ((p: Parameters<ServerToClient[E]>[0]) => (listener as (x: unknown) => void)(this.pushRewrite(event, p))) as ServerToClient[E];
    const off = this.#real.listen(event, wrapped);
    let set = this.#listeners.get(event);
    if (!set) this.#listeners.set(event, (set = new Set()));
    const direct = listener as (p: unknown) => void;
    set.add(direct);
    return () => { off(); set!.delete(direct); };
  }

  /** Delivers a push the server never sent. */
  inject<E extends keyof ServerToClient>(event: E, payload: Parameters<ServerToClient[E]>[0]): void {
    for (const l of this.#listeners.get(event) ?? []) l(payload);
  }
}

/** The SDP with its DTLS fingerprint replaced by another (as a man in the middle needs). */
export function swapFingerprint(sdp: string): string {
  const other = Array.from({ length: 32 }, (_, i) => ((i * 37 + 11) % 256).toString(16).padStart(2, '0').toUpperCase()).join(':');
  return sdp.replace(/a=fingerprint:sha-256 [0-9A-Fa-f:]+/g, `a=fingerprint:sha-256 ${other}`);
}
