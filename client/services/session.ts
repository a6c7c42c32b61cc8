/**
 * The browser's link to signaling for one role: a typed socket.io client,
 * challenge login with the identity key (only when something needs it: the
 * directory is read without logging in), resume after a reconnect, and
 * `request()` that turns an ack into a promise or a ClientError.
 */
import { io, type Socket } from 'socket.io-client';
import type { Identity } from '../../crypto/identity.ts';
import {
  PROTOCOL_VERSION,
  type Ack, type ClientEvent, type ClientToServer, type Payload, type Replies, type Role, type ServerToClient,
} from '../../signaling/protocol.ts';
import { ClientError, isClientErrorCode } from '../errors.ts';
import { Emitter } from './emitter.ts';

/** Where a session's identity comes from (IdentityService in the app). */
export interface IdentitySource {
  get(role: Role): Promise<Identity>;
}

type ClientSocket = Socket<ServerToClient, ClientToServer>;

/** `connecting` until the socket is up, `offline` while it reconnects, `closed` after close(). */
export type SessionState = 'connecting' | 'online' | 'offline' | 'closed';

/** Who this session is logged in as. */
export interface LoginInfo {
  key: string;
  pseudonym: string;
  role: Role;
  token: string;
  expiresAt: number;
}

export interface SessionEvents {
  state: [state: SessionState];
  /** Logged in (first time or after a resume). */
  login: [info: LoginInfo];
}

export interface SessionOptions {
  /** Which of this browser's identities logs in. */
  role: Role;
  /** Where the identity comes from (loaded only at the first login). */
  identities: IdentitySource;
  /** Signaling origin (default: this page's). */
  url?: string;
  /** How long a request waits for its ack, ms (default 10 s). */
  timeoutMs?: number;
}

type PushListener<K extends keyof ServerToClient> = ServerToClient[K];

export class Session {
  readonly events = new Emitter<SessionEvents>();
  readonly role: Role;
  readonly #socket: ClientSocket;
  readonly #identities: IdentitySource;
  /** The origin login challenges must name: the page's own, never one the server suggests. */
  readonly #origin: string;
  readonly #timeoutMs: number;
  #state: SessionState = 'connecting';
  #login: Promise<LoginInfo> | null = null;
  #info: LoginInfo | null = null;

  constructor(options: SessionOptions) {
    this.role = options.role;
    this.#identities = options.identities;
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#origin = new URL(options.url ?? location.origin).origin;
    this.#socket = io(this.#origin, { transports: ['websocket'], auth: { v: PROTOCOL_VERSION } });
    this.#socket.on('connect', () => this.#setState('online'));
    this.#socket.on('disconnect', () => this.#setState('offline'));
    // A reconnect gets a new socket on the server: resume the session (and its rooms).
    this.#socket.io.on('reconnect', () => {
      if (this.#info) void this.#resume(this.#info.token);
    });
  }

  get state(): SessionState { return this.#state; }

  /** The login, once done (null before). */
  get info(): LoginInfo | null { return this.#info; }

  /** The identity this session logs in with (loads libsodium on first use). */
  identity(): Promise<Identity> {
    return this.#identities.get(this.role);
  }

  /** Listens to a server push; the returned function stops listening. */
  listen<K extends keyof ServerToClient>(event: K, listener: PushListener<K>): () => void {
    // socket.io's typings cannot relate a generic event name to its listener.
    const socket = this.#socket as unknown as { on(e: string, l: unknown): void; off(e: string, l: unknown): void };
    socket.on(event, listener);
    return () => socket.off(event, listener);
  }

  /** Sends one event and waits for its ack; rejects with a ClientError (server code, or TIMEOUT). */
  request<E extends ClientEvent>(event: E, payload: Payload<E>, timeoutMs = this.#timeoutMs): Promise<Replies[E]> {
    if (this.#state === 'closed') return Promise.reject(new ClientError('NETWORK', `${event}: session closed`));
    const withTimeout = this.#socket.timeout(timeoutMs) as unknown as {
      emit(event: string, payload: unknown, ack: (err: Error | null, res: Ack<Replies[E]>) => void): void;
    };
    return new Promise((resolve, reject) => {
      withTimeout.emit(event, payload, (err, res) => {
        if (err) return reject(new ClientError('TIMEOUT', `${event}: no answer in ${timeoutMs} ms`));
        if (res.ok) return resolve(res as Replies[E]);
        const code = isClientErrorCode(res.error.code) ? res.error.code : 'UNKNOWN';
        reject(new ClientError(code, res.error.message));
      });
    });
  }

  /** Logs in once (challenge signed by the identity key); later calls share the same login. */
  login(): Promise<LoginInfo> {
    if (!this.#login) {
      this.#login = this.#challengeLogin();
      this.#login.catch(() => { this.#login = null; });
    }
    return this.#login;
  }

  async #challengeLogin(): Promise<LoginInfo> {
    const [identity, { signChallenge }] = await Promise.all([this.identity(), import('../../crypto/login.ts')]);
    const { challenge } = await this.request('session:challenge', {});
    const signed = await signChallenge(identity, JSON.parse(challenge), this.#origin);
    const reply = await this.request('session:login', {
      publicKey: signed.publicKey, challenge, signature: signed.signature, role: this.role,
    });
    return this.#loggedIn(reply);
  }

  async #resume(token: string): Promise<void> {
    try {
      this.#loggedIn(await this.request('session:resume', { token, role: this.role }));
    } catch {
      this.#login = this.#challengeLogin();
      await this.#login.catch(() => { this.#login = null; });
    }
  }

  #loggedIn(reply: Replies['session:login']): LoginInfo {
    this.#info = { key: reply.key, pseudonym: reply.pseudonym, role: reply.role, token: reply.token, expiresAt: reply.expiresAt };
    this.events.emit('login', this.#info);
    return this.#info;
  }

  #setState(state: SessionState): void {
    if (this.#state === state || this.#state === 'closed') return;
    this.#state = state;
    this.events.emit('state', state);
  }

  /** Disconnects for good; idempotent. */
  close(): void {
    if (this.#state === 'closed') return;
    this.#setState('closed');
    this.#socket.close();
    this.events.clear();
  }
}
