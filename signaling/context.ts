/**
 * What every handler module shares (`Ctx`): config, store, io, logger,
 * metrics, the optional chain, timers, and this process's local bookkeeping;
 * tunable timings; the socket types, narrowed once a session is attached.
 */
import type { SfuHostDirectory } from './sfu-hosts.ts';
import type { DirectoryRating } from './directory-rating.ts';
import type { Server, Socket } from 'socket.io';
import type pino from 'pino';
import { DEFAULT_GRACE_MS, DEFAULT_MINUTE_MS } from '../contracts/metering.ts';
import type { Config } from './config.ts';
import type { ClientToServer, ServerToClient, Role, ClientEvent, Replies, schemas } from './protocol.ts';
import type { Store } from './store.ts';
import type { SignalingMetrics } from './metrics.ts';
import type { Auth } from './auth.ts';
import type { Payments } from './payments.ts';
import type { Records } from './records.ts';
import type { z } from 'zod';
import type { RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Timers } from './timers.ts';
import type { RegionRules } from './region-rules.ts';

/** Timings and limits; defaults suit production, tests shorten them. */
export interface Tuning {
  /** TTL of presence and show keys; a crashed process's models vanish after it. */
  presenceTtlMs: number;
  /** How often a process refreshes the presence of its connected models. */
  heartbeatMs: number;
  /** How long a disconnected model's public show waits for the model to come back. */
  modelGraceMs: number;
  /** How long a private request waits for the model's answer. */
  privateRequestTimeoutMs: number;
  /** How late past a prepaid minute's start the next voucher may arrive (contracts/metering.ts `graceMs`). */
  voucherGraceMs: number;
  /** Length of a billed private minute (contracts/metering.ts `minuteMs`; shorter only in tests). */
  minuteMs: number;
  /** How long a private session survives a peer's disconnect. */
  peerDisconnectGraceMs: number;
  /** Lifetime of session tokens. */
  sessionTtlSeconds: number;
  /** Lifetime of WHIP/WHEP tokens (they only gate the start of a media session). */
  sfuTokenTtlSeconds: number;
  /** Chat messages allowed per identity per `chatWindowSeconds`. */
  chatPoints: number;
  chatWindowSeconds: number;
  /** Events allowed per identity per second, all its sockets on every process together (a reconnect keeps the count). */
  eventsPerSecond: number;
  /** Window of the event limits: a burst of up to `eventsPerSecond` x this many events passes, then the window must end. */
  eventBurstSeconds: number;
  /** Events allowed per connecting address per second from its sockets that are not logged in (this process; 0: no limit). */
  anonymousEventsPerSecond: number;
  /** Login attempts (challenge, login, resume) allowed per connecting address per minute (this process; 0: no limit). */
  loginsPerMinute: number;
  /** HTTP API requests (`/api/`, the age-document upload) allowed per connecting address per minute (this process; 0: no limit). */
  httpRequestsPerMinute: number;
  /** Sealed age documents (socket or HTTP) accepted per connecting address per hour (this process; 0: no limit): identities are free, addresses are not. */
  ageDocumentsPerAddressPerHour: number;
  /** Sockets this process accepts at once. */
  maxConnections: number;
  /** Sockets at once from one (hashed) remote address; 0 disables the check (default: Config.MAX_CONNECTIONS_PER_ADDRESS). */
  maxConnectionsPerAddress: number;
  /** Sealed age documents waiting for the verifier, in all (default: Config.AGE_PENDING_MAX). */
  maxPendingAgeDocuments: number;
  /** How long a sealed age document waits for the verifier before it is dropped. */
  ageDocumentTtlMs: number;
  /** Oldest accepted attestation, seconds (0: no limit). */
  attestationMaxAgeSeconds: number;
  /** Viewer-count pushes per show are coalesced to one per this interval. */
  viewerPushMs: number;
  /** Socket.io maxHttpBufferSize: the largest frame a client may send. */
  maxMessageBytes: number;
  /** How long a process reuses a model's opened hidden-country list for directory pushes (region-rules.ts). */
  regionCacheMs: number;
}

export const DEFAULT_TUNING: Tuning = {
  presenceTtlMs: 60_000,
  heartbeatMs: 20_000,
  modelGraceMs: 30_000,
  privateRequestTimeoutMs: 45_000,
  voucherGraceMs: DEFAULT_GRACE_MS,
  minuteMs: DEFAULT_MINUTE_MS,
  peerDisconnectGraceMs: 20_000,
  sessionTtlSeconds: 12 * 3600,
  sfuTokenTtlSeconds: 300,
  chatPoints: 5,
  chatWindowSeconds: 5,
  eventsPerSecond: 30,
  eventBurstSeconds: 1,
  // Per address, sized for many people behind one NAT reconnecting at once after a node restart.
  anonymousEventsPerSecond: 200,
  loginsPerMinute: 300,
  httpRequestsPerMinute: 6_000,
  ageDocumentsPerAddressPerHour: 10,
  maxConnections: 19_000,
  maxConnectionsPerAddress: 256,
  maxPendingAgeDocuments: 1000,
  ageDocumentTtlMs: 7 * 86_400_000,
  attestationMaxAgeSeconds: 0,
  viewerPushMs: 500,
  maxMessageBytes: 65_536,
  regionCacheMs: 5_000,
};

export interface SocketData {
  key?: string;
  pseudonym?: string;
  role?: Role;
  /** Session expiry, ms. */
  expiresAt?: number;
  /** The session's random id (its token's), for logout. */
  sessionId?: string;
  /** Shows this socket watches. */
  shows: Set<string>;
  /** Salted hash of the remote address, in memory only (per-address limits, limits.ts). */
  addressHash?: string;
  subscribed?: boolean;
  /** Audience of the challenge this socket was given. */
  audience?: string;
  /** Country of the connecting address (geoip.ts), looked up at connect; null: not public or unknown. The address is not kept. */
  country?: string | null;
}

export type IO = Server<ClientToServer, ServerToClient, Record<string, never>, SocketData>;
export type Sock = Socket<ClientToServer, ServerToClient, Record<string, never>, SocketData>;

export type Parsed<E extends ClientEvent> = z.output<(typeof schemas)[E]>;
export type Access = 'none' | 'any' | 'model' | 'client';

/** What a logged-in socket carries: the dispatcher checks these before a handler whose access is not 'none' runs. */
export interface SessionData extends SocketData {
  key: string;
  pseudonym: string;
  role: Role;
  expiresAt: number;
  sessionId: string;
}
/** A socket the dispatcher has checked is logged in (and its session unexpired). */
export type AuthedSock = Sock & { data: SessionData };

/** True when the socket carries a live session: the one place the optional session fields are narrowed. */
export function isAuthed(socket: Sock): socket is AuthedSock {
  const d = socket.data;
  return d.key !== undefined && d.pseudonym !== undefined && d.role !== undefined && d.expiresAt !== undefined && d.sessionId !== undefined;
}

/** A handler that runs without a login gets the bare socket; every other one gets the narrowed socket. */
export type HandlerSpec<E extends ClientEvent> =
  | { access: 'none'; handle: (socket: Sock, payload: Parsed<E>) => Promise<Replies[E]> }
  | { access: Exclude<Access, 'none'>; handle: (socket: AuthedSock, payload: Parsed<E>) => Promise<Replies[E]> };
export type Handlers = { [E in ClientEvent]?: HandlerSpec<E> };

export interface ChainInfo {
  provider: import('ethers').Provider;
  addresses: { token: string; channels: string };
  chainId: number;
  rpcUrl: string;
}

/** The part of the SFU that signaling drives. */
export interface SfuControl {
  closeShow(showId: string): Promise<void>;
  /** Ends a banned viewer's media (sfu/engine.ts `evictViewer`); an SFU without it leaves that to the viewer's page. */
  evictViewer?(showId: string, sub: string): Promise<void>;
  /** Lifts `evictViewer` (an unban). */
  readmitViewer?(showId: string, sub: string): Promise<void>;
}

/**
 * What handler modules share. The dispatcher, the connection limits and the
 * server's lifecycle are not in here: handlers never need them.
 */
export interface Ctx {
  config: Config;
  tuning: Tuning;
  store: Store;
  io: IO;
  logger: pino.Logger;
  metrics: SignalingMetrics;
  /** Login challenges, session tokens, pseudonyms. */
  auth: Auth;
  /** Signs WHIP/WHEP tokens (sfu-token-key.ts): derived from SESSION_SECRET, never the raw secret. */
  sfuTokenKey: Uint8Array;
  /** Encrypted per-user records (profile) and their data keys. */
  records: Records;
  /** Channel reads and the voucher rule; null without a chain (payments.ts `payments` answers CHAIN_UNAVAILABLE). */
  payments: Payments | null;
  /** The directory's order from public chain data; null without a chain. */
  rating: DirectoryRating | null;
  /** Lets signaling end a show's media (ban, close, deletion); absent when the SFU runs elsewhere. */
  sfu: SfuControl | null;
  /** The SFU hosts shows and viewers are placed on (sfu-hosts.ts): the embedded one, or those registered in Redis. */
  sfuHosts: SfuHostDirectory;
  /** The chat limit per identity (shared by every process over Redis). */
  limiters: { chat: RateLimiterAbstract };
  /** The countries each model hides from (region-rules.ts). */
  regions: RegionRules;
  /** The limits (limits.ts `RateLimits`) a handler applies itself. */
  limits: HandlerLimits;
  /** This process's named timers (timers.ts), cleared on close. */
  timers: Timers;
  /** Sockets of models connected here, by model key. */
  localModels: Map<string, Set<string>>;
  /** Shows whose model is connected here (this process refreshes their TTLs). */
  localShows: Map<string, string>;
  /** Registers running work (a cleanup, a follow-up) that the server's close() waits for. */
  track(work: Promise<unknown>): void;
}

/** What of limits.ts a handler calls (an interface here: limits.ts imports this module). */
export interface HandlerLimits {
  /** Counts one sealed age document from a socket or an HTTP request (by its client's address); throws RATE_LIMITED past the budget. */
  ageDocument(from: Sock | import('express').Request): Promise<void>;
}

/** Room names. */
export const rooms = {
  identity: (key: string) => `id:${key}`,
  session: (sessionId: string) => `sess:${sessionId}`,
  show: (showId: string) => `show:${showId}`,
  directory: 'directory',
  /** Directory subscribers connecting from one country: a model's pushes skip the countries it hides from. */
  directoryFrom: (country: string) => `dir:${country}`,
};
