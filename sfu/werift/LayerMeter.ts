/**
 * What a show knows of its source's layers and audio: per-layer counters,
 * loss from sequence gaps, frame size from VP8 keyframes, and bitrates over
 * one-second windows. Shared by the two kinds of show source: a publisher
 * (WeriftPublisher) and a relay feed from another worker or host
 * (relay/RelaySource.ts), so layer choice weighs both the same way.
 */
import type { RtpPacket } from 'werift';
import { isKeyframe, vp8KeyframeSize, type VideoCodec } from '../rtp/codec.ts';

export interface LayerState {
  ssrc: number;
  packets: number;
  bytes: number;
  lost: number;
  lastSeq: number;
  lastPacketAt: number;
  width?: number;
  height?: number;
  /** Bitrate over the last stats window, bps. */
  bitrate: number;
  /**
   * Median of the last three windows, bps: what layer choice weighs. A
   * keyframe (every layer's, after any switch) fills one window, and
   * would otherwise look like a layer that no longer fits.
   */
  steadyBitrate: number;
  recentBitrates: number[];
  bytesAtWindow: number;
}

export class LayerMeter {
  readonly layers: (LayerState | undefined)[] = [undefined, undefined, undefined];
  audioBytes = 0;
  audioBitrate = 0;
  #audioBytesAtWindow = 0;

  /** Counts one video packet of `layer`; true when it starts a keyframe of `codec`. */
  video(layer: number, packet: RtpPacket, codec: VideoCodec): boolean {
    const h = packet.header;
    let s = this.layers[layer];
    if (!s) {
      s = { ssrc: h.ssrc, packets: 0, bytes: 0, lost: 0, lastSeq: -1, lastPacketAt: 0, bitrate: 0, steadyBitrate: 0, recentBitrates: [], bytesAtWindow: 0 };
      this.layers[layer] = s;
    }
    s.ssrc = h.ssrc;
    s.packets++;
    s.bytes += packet.payload.length;
    s.lastPacketAt = performance.now();
    if (s.lastSeq >= 0) {
      const gap = (h.sequenceNumber - s.lastSeq) & 0xffff;
      if (gap > 1 && gap < 0x8000) s.lost += gap - 1;
    }
    if (s.lastSeq < 0 || ((h.sequenceNumber - s.lastSeq) & 0xffff) < 0x8000) s.lastSeq = h.sequenceNumber;
    const payload = packet.payload;
    const key = payload.length > 0 && isKeyframe(codec, payload);
    if (key && codec === 'vp8') {
      const size = vp8KeyframeSize(payload);
      if (size) { s.width = size.width; s.height = size.height; }
    }
    return key;
  }

  audio(payloadLength: number): void {
    this.audioBytes += payloadLength;
  }

  /** Layers that sent media within the last `windowMs`. */
  activeLayers(windowMs = 1500): boolean[] {
    const now = performance.now();
    return this.layers.map((s) => s !== undefined && now - s.lastPacketAt < windowMs);
  }

  /** Closes a one-second window: call once a second. */
  updateBitrates(): void {
    for (const s of this.layers) {
      if (!s) continue;
      s.bitrate = (s.bytes - s.bytesAtWindow) * 8;
      s.bytesAtWindow = s.bytes;
      s.recentBitrates.push(s.bitrate);
      if (s.recentBitrates.length > 3) s.recentBitrates.shift();
      const sorted = [...s.recentBitrates].sort((a, b) => a - b);
      s.steadyBitrate = sorted[Math.floor(sorted.length / 2)]!;
    }
    this.audioBitrate = (this.audioBytes - this.#audioBytesAtWindow) * 8;
    this.#audioBytesAtWindow = this.audioBytes;
  }
}
