/**
 * The SFU engine interface. HTTP (WHIP/WHEP), metrics and signaling talk only
 * to this; `sfu/werift/` implements it in one process and `sfu/worker/`
 * spreads it over one process per core. A mediasoup engine can be added
 * behind the same interface where its worker installs.
 */
import type { TypedEmitter } from './emitter.ts';

/** The three simulcast layers a publisher sends (`a=rid` l/m/h or q/h/f). */
export type SimulcastLayer = 'high' | 'medium' | 'low';
/** What a viewer asks for: a fixed layer or `auto` (by measured bandwidth and loss). */
export type LayerPreference = 'auto' | SimulcastLayer;
export const LAYER_PREFERENCES: readonly LayerPreference[] = ['auto', 'high', 'medium', 'low'];

export type ResourceRole = 'publisher' | 'viewer';

/** Why a publisher or viewer session ended. */
export type CloseReason =
  | 'deleted'        // HTTP DELETE
  | 'disconnected'   // ICE/DTLS failed or timed out
  | 'replaced'       // a new publisher took over the show
  | 'show-ended'     // the publisher left, so the viewer has nothing to watch
  | 'worker-died'    // the worker process crashed: reconnect
  | 'stalled'        // the publisher's media stopped and did not come back in time
  | 'evicted'        // signaling removed the viewer (the model banned them): `evictViewer`
  | 'engine-closed'; // the SFU is shutting down

export interface PublishRequest {
  /** The show to publish. */
  showId: string;
  /** The SDP offer from the publisher (browser or OBS). */
  offerSdp: string;
  /** Pseudonymous key of the model (from the token). */
  sub: string;
}

export interface ViewRequest {
  /** The show to watch. */
  showId: string;
  /** The SDP offer from the viewer (recvonly audio + video). */
  offerSdp: string;
  /** Random viewer id (from the token). */
  sub: string;
  /** Initial layer preference; `auto` by default. */
  layer?: LayerPreference;
}

export interface SessionAnswer {
  /** Opaque unguessable id of the new publisher or viewer session. */
  resourceId: string;
  /** The SDP answer. */
  answerSdp: string;
}

export interface LayerStats {
  layer: SimulcastLayer;
  /** Incoming bitrate of this layer from the publisher. */
  bitrateKbps: number;
  /** Last seen frame size, when the codec tells it (VP8 keyframes). */
  width?: number;
  height?: number;
  /** Packets the SFU saw missing from the publisher on this layer. */
  packetsLost: number;
}

export interface ShowStats {
  showId: string;
  /** Index of the worker holding the show. */
  worker: number;
  viewers: number;
  /** Total incoming bitrate from the publisher (all layers plus audio). */
  publisherBitrateKbps: number;
  /** Total outgoing bitrate to all viewers. */
  forwardedBitrateKbps: number;
  /** Packets forwarded since the show started. */
  forwardedPackets: number;
  /** Mean fraction lost reported by viewers (RTCP receiver reports), 0..1. */
  viewerLossFraction: number;
  /** Viewers currently on each layer. */
  viewersPerLayer: Record<SimulcastLayer, number>;
  layers: LayerStats[];
  /** Keyframe requests received from viewers and sent to the publisher. */
  keyframeRequestsFromViewers: number;
  keyframeRequestsToPublisher: number;
  nacksAnswered: number;
  /** Publisher packets dropped for being bigger than any path MTU (1500-byte payload). */
  oversizeDropped: number;
  /** Bytes sent again for NACKs, and NACKed packets refused (too old, repeated within an RTT, over budget). */
  retransmittedBytes: number;
  nacksRefused: number;
  /** Bandwidth probes sent to viewers, and those that showed room for more. */
  probes: number;
  probesSucceeded: number;
  /** Viewers by bandwidth estimate (send-side, else REMB): bucket upper bound in kbps ('+Inf', 'none') -> count. */
  viewersByEstimate: Record<string, number>;
  /** This entry is a relayed copy of the show (fed by the show's worker, or by its origin host), not its publisher's. */
  relayed: boolean;
  /** Relays this copy feeds now (other workers of this host, edge hosts), and those that ended. */
  relayFeeds: number;
  relayFeedsEnded: number;
  /** Packets sent to relays since the show started (each packet once per relay). */
  relayedPackets: number;
  /** Keyframe requests received from relays (their viewers', aggregated there first). */
  relayKeyframeRequests: number;
}

/** What a worker or host holding a show hands out so that another can relay it (see sfu/relay/). */
export interface RelayOffer {
  /** UDP port of the feed. */
  port: number;
  /** Session id to quote in every relay control datagram, 32 hex digits. */
  sessionId: string;
  /** The publisher's negotiated video codec. */
  video: { mimeType: string; parameters?: string };
}

/** A relay to start: the offer, and the address of the worker or host that made it. */
export interface RelayAttach extends RelayOffer {
  host: string;
}

export interface WorkerStats {
  worker: number;
  pid: number;
  shows: number;
  viewers: number;
  /** CPU time the worker used since it started, microseconds. */
  cpuMicros: number;
  /** Of which in the kernel (system time), microseconds. */
  cpuSystemMicros: number;
  forwardedPackets: number;
  /** The worker's load, 0..1 of a core: the larger of CPU time and event-loop busy time per wall time, mean over the last second (what join admission compares with its budget). */
  cpuLoad: number;
  /** Worst event-loop delay over the last ~250 ms, and since the worker started, ms: how late a publisher's packet or STUN check could be handled. */
  loopDelayMs: number;
  worstLoopDelayMs: number;
  /** Viewer joins refused (SFU_OVERLOADED) since the worker started. */
  joinsRefused: number;
}

export interface ViewerInfo {
  showId: string;
  resourceId: string;
  preference: LayerPreference;
  /** The layer being forwarded now (undefined before the first keyframe). */
  current?: SimulcastLayer;
}

export interface SfuEngineEvents {
  /** A publisher connected (media flowing): the show can be listed as live. */
  showstarted: [showId: string];
  /**
   * The publisher's media stopped (no packet for the engine's stall time) while its connection
   * looks up: viewers get nothing. Ends with `showresumed`, or `showended` (`stalled`) in time.
   */
  showstalled: [showId: string];
  /** Media flows again after `showstalled`. */
  showresumed: [showId: string];
  /** The publisher is gone; viewers of the show have been closed. */
  showended: [showId: string, reason: CloseReason];
  /** The number of connected viewers of a show changed. */
  viewercount: [showId: string, count: number];
  /**
   * The viewer count of a relayed copy of a show (an edge host's): not the
   * show's own count, which its origin reports as `viewercount`.
   */
  relayviewercount: [showId: string, count: number];
  /** A relayed copy of a show ended (its last viewer left, or its feed ended); its viewers have been closed. */
  relayended: [showId: string, reason: CloseReason];
  /** One session ended; `worker-died` means the client should reconnect. */
  resourceclosed: [showId: string, resourceId: string, role: ResourceRole, reason: CloseReason];
}

export interface SfuEngine {
  readonly events: TypedEmitter<SfuEngineEvents>;
  /** Starts (or takes over) a show; throws SfuError (SFU_BAD_SDP, SFU_SHOW_BUSY, ...). */
  publish(request: PublishRequest): Promise<SessionAnswer>;
  /** Adds a viewer; throws SfuError SFU_UNKNOWN_SHOW when nobody publishes it. */
  view(request: ViewRequest): Promise<SessionAnswer>;
  /** Changes a viewer's layer preference. */
  setLayer(showId: string, resourceId: string, preference: LayerPreference): Promise<void>;
  /** Ends a session; throws SFU_UNKNOWN_RESOURCE. */
  closeResource(showId: string, resourceId: string, role: ResourceRole): Promise<void>;
  /** Ends a show and all its sessions (e.g. the model was banned). */
  closeShow(showId: string): Promise<void>;
  /**
   * Ends every viewer session of the show whose token subject is `sub` (reason `evicted`) and refuses that
   * subject's joins for the rest of the show, even with a token still valid: how a ban reaches the media.
   */
  evictViewer(showId: string, sub: string): Promise<void>;
  /** Lifts `evictViewer` for that subject (the model unbanned them): their next join is let in. */
  readmitViewer(showId: string, sub: string): Promise<void>;
  /** True when a publisher session exists for the show. */
  hasShow(showId: string): boolean;
  /** The role of a session, or undefined when unknown. */
  resourceRole(showId: string, resourceId: string): ResourceRole | undefined;
  viewerInfo(showId: string, resourceId: string): Promise<ViewerInfo>;
  /**
   * Opens a relay of a show held here (published, or itself relayed): its media goes, once, to
   * whoever quotes the offer's session id from a UDP socket. `bindIp` is where the feed listens.
   */
  openRelay(showId: string, bindIp?: string): Promise<RelayOffer>;
  /** Serves a show held elsewhere from a relay of it; views of it then work here. Throws SFU_UNAVAILABLE when the feed does not answer. */
  attachRelay(showId: string, relay: RelayAttach): Promise<void>;
  /** True when a relayed copy of the show is served here. */
  hasRelay(showId: string): boolean;
  /** Ends the relayed copy of a show here (its viewers are closed with `reason`). */
  closeRelay(showId: string, reason: CloseReason): Promise<void>;
  showStats(): Promise<ShowStats[]>;
  workerStats(): Promise<WorkerStats[]>;
  /** Idempotent: closes every session, kills workers, frees ports. */
  close(): Promise<void>;
  readonly closed: boolean;
}
