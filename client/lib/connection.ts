/**
 * The browser's link to signaling: a typed socket.io client, challenge login
 * with the identity key, and `request()` that turns an ack into a promise.
 */
import { io, type Socket } from 'socket.io-client';
import { signChallenge } from '../../crypto/login.ts';
import type { Identity } from '../../crypto/identity.ts';
import {
  PROTOCOL_VERSION,
  type Ack, type ClientEvent, type ClientToServer, type Payload, type Replies, type ServerToClient,
} from '../../signaling/protocol.ts';

/** An error answered by the server, with its stable protocol code. */
export class RequestError extends Error {
  /** Stable protocol error code, e.g. `RATE_LIMITED`. */
  readonly code: string;
  constructor(code: string, message: string) {
    super(message);
    this.code = code;
    this.name = 'RequestError';
  }
}

export type ClientSocket = Socket<ServerToClient, ClientToServer>;

export class Connection {
  /** The socket.io client; listen to server pushes on it. */
  readonly socket: ClientSocket;
  #identity: Identity;
  #role: 'model' | 'client';
  #token: string | null = null;

  constructor(identity: Identity, role: 'model' | 'client', url = location.origin) {
    this.#identity = identity;
    this.#role = role;
    this.socket = io(url, { transports: ['websocket'], auth: { v: PROTOCOL_VERSION } });
    // A reconnect gets a new socket on the server: resume the session (and its rooms).
    this.socket.io.on('reconnect', () => {
      if (this.#token) void this.request('session:resume', { token: this.#token, role: this.#role }).catch(() => this.login());
    });
  }

  get identity(): Identity { return this.#identity; }

  /** Send one event and wait for its ack; rejects with RequestError on `{ ok: false }`. */
  request<E extends ClientEvent>(event: E, payload: Payload<E>, timeoutMs = 10_000): Promise<Replies[E]> {
    // socket.io's typings cannot express "the ack type of event E" for a generic E.
    const withTimeout = this.socket.timeout(timeoutMs) as unknown as {
      emit(event: string, payload: unknown, ack: (err: Error | null, res: Ack<Replies[E]>) => void): void;
    };
    return new Promise((resolve, reject) => {
      withTimeout.emit(event, payload, (err, res) => {
        if (err) return reject(new RequestError('TIMEOUT', `${event}: no answer in ${timeoutMs} ms`));
        if (res.ok) resolve(res as Replies[E]);
        else reject(new RequestError(res.error.code, res.error.message));
      });
    });
  }

  /** Challenge login: the server proves freshness, the identity key proves who we are. */
  async login(): Promise<Replies['session:login']> {
    const { challenge } = await this.request('session:challenge', {});
    const signed = await signChallenge(this.#identity, JSON.parse(challenge), location.origin);
    const reply = await this.request('session:login', {
      publicKey: signed.publicKey,
      challenge,
      signature: signed.signature,
      role: this.#role,
    });
    this.#token = reply.token;
    return reply;
  }

  close(): void {
    this.socket.close();
  }
}
