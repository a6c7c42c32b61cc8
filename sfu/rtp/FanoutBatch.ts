/**
 * The viewers' copies of one source packet, handed to the native addon in
 * one call (`sfu/native/fanout.c`): viewers append their rewritten header
 * fields and socket as integers, the show flushes once per source packet.
 * Crossing into C once per viewer, and writing each header in JavaScript,
 * cost more than the encryption and the send.
 */
import { srtpSend } from '../native/srtpSend.ts';

/**
 * Largest payload the SFU forwards. Browsers and OBS keep RTP packets under
 * a path MTU (~1200 bytes); a bigger one would not reach a viewer anyway,
 * and the send buffers (here and in fanout.c) hold 1600 bytes of packet.
 */
export const MAX_FORWARD_PAYLOAD = 1500;

/** Int32 words per job, as fanout.c reads them. */
const JOB_STRIDE = 8;

export class FanoutBatch {
  /** True when the native addon is built; otherwise nothing may be added. */
  static readonly available = srtpSend !== undefined;
  #jobs = new Int32Array(JOB_STRIDE * 128);
  #count = 0;

  get size(): number { return this.#count; }

  /**
   * Adds one viewer's copy.
   * @param sessionId the viewer's SRTP session (`SrtpEncryptor.sessionId`).
   * @param fd the viewer's connected UDP socket.
   * @param markerPt the marker bit (0x80) ORed with the payload type.
   * @param pid the VP8 picture id to write (ignored when the flush says none).
   * @param ext the header extension: an abs-send-time extension id (0 for none), or `transportCc(...)`.
   */
  add(sessionId: number, fd: number, markerPt: number, seq: number, timestamp: number, ssrc: number, roc: number, pid: number, ext: number): void {
    let jobs = this.#jobs;
    const o = this.#count * JOB_STRIDE;
    if (o + JOB_STRIDE > jobs.length) {
      const grown = new Int32Array(jobs.length * 2);
      grown.set(jobs);
      this.#jobs = jobs = grown;
    }
    jobs[o] = sessionId;
    jobs[o + 1] = fd;
    jobs[o + 2] = (markerPt << 16) | seq;
    jobs[o + 3] = timestamp;
    jobs[o + 4] = ssrc;
    jobs[o + 5] = roc;
    jobs[o + 6] = pid;
    jobs[o + 7] = ext;
    this.#count++;
  }

  /**
   * Sends every job with `payload` behind its header and empties the batch.
   * @param pidAt offset of the VP8 picture id in the payload, -1 for none.
   * @param pidLong whether that picture id is the 15-bit form.
   * @returns packets sent (a full socket buffer drops a packet, as a congested link would).
   */
  flush(payload: Uint8Array, pidAt: number, pidLong: boolean): number {
    const count = this.#count;
    if (count === 0) return 0;
    this.#count = 0;
    return srtpSend!.sendBatch(payload, this.#jobs, count, pidAt, pidLong, absSendTime());
  }
}

/** A job's extension word for a transport-wide-cc extension `id` (1..14) carrying sequence number `seq`. */
export function transportCc(id: number, seq: number): number {
  return ((seq & 0xffff) << 16) | ((id & 0xf) << 4);
}

/** abs-send-time now: 24-bit, 6.18 fixed-point seconds. */
export function absSendTime(): number {
  return Math.floor(Math.floor(performance.timeOrigin + performance.now()) * 262.144) & 0xffffff;
}
