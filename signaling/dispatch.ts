/**
 * From a socket event to its handler and back to its ack. Each event passes, in
 * order: the event limit (per identity, or per address before a login: limits.ts),
 * the login-attempt limit per address (session events),
 * the call shape (one payload and an ack), a known event, the handler's access
 * (logged in, unexpired, role), the payload schema (protocol.ts). The ack is
 * `{ ok: true, ...reply }` or `{ ok: false, error }` by errors.ts `answerFor`,
 * which also decides what the server log hears (an INTERNAL with its causes).
 */
import type pino from 'pino';
import { CLIENT_EVENTS, describeIssue, schemas, type ClientEvent } from './protocol.ts';
import { isAuthed, type HandlerSpec, type Handlers, type Parsed, type Sock } from './context.ts';
import { answerFor, fail } from './errors.ts';
import type { SignalingMetrics } from './metrics.ts';
import type { RateLimits } from './limits.ts';

export interface DispatcherOptions {
  /** Every handler module's handlers, by event. */
  handlers: Handlers;
  /** The event and login-attempt limits, keyed by identity or connecting address (never by socket: a reconnect keeps them). */
  limits: RateLimits;
  metrics: SignalingMetrics;
  logger: pino.Logger;
  /** Registers a running event so the server's close() waits for it. */
  track: (work: Promise<unknown>) => void;
}

const KNOWN: ReadonlySet<string> = new Set(CLIENT_EVENTS);

function parse<E extends ClientEvent>(event: E, payload: unknown): Parsed<E> {
  const parsed = schemas[event].safeParse(payload);
  if (!parsed.success) fail('BAD_REQUEST', describeIssue(parsed.error));
  return parsed.data as Parsed<E>;
}

export class Dispatcher {
  #o: DispatcherOptions;

  constructor(options: DispatcherOptions) {
    this.#o = options;
  }

  /** Routes every client event of a new socket; an unknown event with an ack is answered BAD_REQUEST. */
  attach(socket: Sock): void {
    for (const event of CLIENT_EVENTS) {
      socket.on(event, ((...args: unknown[]) => { this.#o.track(this.dispatch(socket, event, args)); }) as never);
    }
    socket.onAny((event: unknown, ...args: unknown[]) => {
      if (typeof event === 'string' && KNOWN.has(event)) return;
      const last = args[args.length - 1];
      if (typeof last === 'function') (last as (r: unknown) => void)({ ok: false, error: { code: 'BAD_REQUEST', message: 'unknown event' } });
    });
  }

  /** Handles one event (`args` as socket.io passed them, the ack last); never throws. */
  async dispatch<E extends ClientEvent>(socket: Sock, event: E, args: unknown[]): Promise<void> {
    const { metrics } = this.#o;
    const last = args[args.length - 1];
    const ack = typeof last === 'function' ? (last as (res: unknown) => void) : null;
    const started = performance.now();
    let result = 'ok';
    try {
      const data = await this.#run(socket, event, args, ack !== null);
      ack?.({ ok: true, ...data });
    } catch (err) {
      const { error, log } = answerFor(err);
      if (log) this.#o.logger[log]({ err, event, who: socket.data.pseudonym }, 'handler failed');
      result = error.code;
      ack?.({ ok: false, error });
    } finally {
      metrics.events.inc({ event, result });
      metrics.eventSeconds.observe({ event }, (performance.now() - started) / 1000);
    }
  }

  async #run<E extends ClientEvent>(socket: Sock, event: E, args: unknown[], hasAck: boolean): Promise<object> {
    const { limits, handlers } = this.#o;
    await limits.event(socket);
    if (event.startsWith('session:') && event !== 'session:logout') await limits.login(socket);
    if (!hasAck) fail('BAD_REQUEST', 'expected an acknowledgement callback');
    if (args.length !== 2) fail('BAD_REQUEST', 'expected one payload object and an ack');
    const spec = handlers[event] as HandlerSpec<E> | undefined;
    if (!spec) fail('BAD_REQUEST', 'unknown event');
    if (spec.access === 'none') return spec.handle(socket, parse(event, args[0]));
    if (!isAuthed(socket)) fail('UNAUTHENTICATED', 'log in first');
    if (socket.data.expiresAt <= Date.now()) fail('SESSION_EXPIRED', 'session expired: log in again');
    if (spec.access !== 'any' && socket.data.role !== spec.access) fail('FORBIDDEN', `only a ${spec.access} may do this`);
    return spec.handle(socket, parse(event, args[0]));
  }
}
