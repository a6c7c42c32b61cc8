/**
 * Where a show's media comes from: its publisher (WeriftPublisher), or a
 * relay of a show held by another worker or host (relay/RelaySource.ts).
 * The show forwards, caches and chooses layers the same way for both.
 */
import type { TypedEmitter } from '../emitter.ts';
import type { CloseReason } from '../engine.ts';
import type { VideoCodec } from '../rtp/codec.ts';
import type { LayerState } from './LayerMeter.ts';
import type { PublisherSink } from './WeriftPublisher.ts';

export interface ShowSource {
  /** The session id (a publisher's WHIP resource, or the relay's). */
  readonly id: string;
  readonly events: TypedEmitter<{ close: [CloseReason] }>;
  /** Per-packet hooks of the show. */
  sink: PublisherSink | undefined;
  readonly videoCodec: VideoCodec;
  readonly videoMime: string;
  readonly videoFmtp: string | undefined;
  /** Layer indexes 0 low, 1 medium, 2 high. */
  readonly layers: (LayerState | undefined)[];
  readonly audioBitrate: number;
  activeLayers(windowMs?: number): boolean[];
  /** Asks the source for a keyframe of a layer (the show aggregates the requests first). */
  requestKeyframe(layer: number): void;
  close(reason: CloseReason): Promise<void>;
}
