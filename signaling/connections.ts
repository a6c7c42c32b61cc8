/**
 * A connection's start and end: who may connect (`ConnectionGate`), and what a
 * socket's disconnect leaves behind (`socketGone`).
 *
 * Privacy choice for the per-address limit: the remote address is turned into a
 * salted HMAC at connect time (limits.ts `addressHash`: salt random per process,
 * never stored) and only that hash is counted, in memory; the address itself is
 * never stored or logged.
 */
import { PROTOCOL_VERSION, type ErrorBody, type ErrorCode } from './protocol.ts';
import { isAuthed, rooms, type Ctx, type Sock, type Tuning } from './context.ts';
import { SignalingError } from './errors.ts';
import type { SignalingMetrics } from './metrics.ts';
import { modelGone } from './presence.ts';
import { peerGone } from './private.ts';

/** A refused connection: socket.io hands the client `message` and `data` (`{ code, message }`) in `connect_error`. */
function refusal(code: ErrorCode, message: string): SignalingError & { data: ErrorBody } {
  const err = new SignalingError(code, message);
  return Object.assign(err, { data: err.toJSON() });
}

/** Connection limits of this process: sockets in all, sockets per (hashed) address, and none while closing. */
export class ConnectionGate {
  #tuning: Tuning;
  #metrics: SignalingMetrics;
  #hash: (socket: Sock) => string;
  #perAddress = new Map<string, number>();
  #closed = false;

  /** `hash` names what a socket is counted under: its client's address, hashed (limits.ts `RateLimits.socketHash`). */
  constructor(tuning: Tuning, metrics: SignalingMetrics, hash: (socket: Sock) => string) {
    this.#tuning = tuning;
    this.#metrics = metrics;
    this.#hash = hash;
  }

  /** For socket.io `allowRequest`: refuses at the HTTP handshake, before a WebSocket is set up, once the process is full. */
  allowRequest(clients: number, callback: (err: string | null | undefined, success: boolean) => void): void {
    const full = this.#closed || clients >= this.#tuning.maxConnections;
    if (full) this.#metrics.connectionsRefused.inc({ reason: 'process' });
    callback(full ? 'server full' : null, !full);
  }

  /** socket.io middleware: protocol version and the per-address limit. */
  admit(socket: Sock, next: (err?: Error) => void): void {
    if (this.#closed) return next(refusal('RATE_LIMITED', 'server closing'));
    const auth = socket.handshake.auth as { v?: unknown } | undefined;
    if (auth?.v !== undefined && auth.v !== PROTOCOL_VERSION) return next(refusal('BAD_REQUEST', 'unsupported protocol version'));
    const hash = this.#hash(socket);
    const limit = this.#tuning.maxConnectionsPerAddress;
    if (limit > 0) {
      const n = this.#perAddress.get(hash) ?? 0;
      if (n >= limit) {
        this.#metrics.connectionsRefused.inc({ reason: 'address' });
        return next(refusal('RATE_LIMITED', 'too many connections'));
      }
      this.#perAddress.set(hash, n + 1);
    }
    next();
  }

  /** A socket admitted by `admit` has gone: its address may connect once more. */
  release(socket: Sock): void {
    const hash = socket.data.addressHash;
    if (!hash || this.#tuning.maxConnectionsPerAddress <= 0) return;
    const n = (this.#perAddress.get(hash) ?? 1) - 1;
    if (n <= 0) this.#perAddress.delete(hash);
    else this.#perAddress.set(hash, n);
  }

  /** Refuses every new connection from now on; idempotent. */
  close(): void {
    this.#closed = true;
  }
}

/**
 * What a logged-in socket's disconnect leaves behind (its place in `lc:watch:`
 * stays for a resume; the SFU counts viewers): a model's last socket here starts
 * the model's grace period, and an identity gone from this process starts the
 * disconnect grace of its private sessions.
 */
export async function socketGone(ctx: Ctx, socket: Sock): Promise<void> {
  if (!isAuthed(socket)) return;
  const key = socket.data.key;
  const stillHere = (await ctx.io.in(rooms.identity(key)).local.fetchSockets()).length > 0;
  if (socket.data.role === 'model') {
    const local = ctx.localModels.get(key);
    local?.delete(socket.id);
    if (local && local.size === 0) {
      ctx.localModels.delete(key);
      modelGone(ctx, key, socket.data.pseudonym);
    }
  }
  if (!stillHere) {
    for (const id of await ctx.store.privateSessionsOf(key)) peerGone(ctx, id, key);
  }
}
