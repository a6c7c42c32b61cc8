/**
 * Transport-wide congestion control feedback (draft-holmer-rmcat-transport-
 * wide-cc-extensions-01) sent to a publisher, so that the browser's send-side
 * bandwidth estimator (probes, delay-based AIMD) can climb to its target.
 * werift's own generator reports deltas against a reference time it rounded
 * away and never reports losses, which pins Chromium near 200 kbps.
 */

/** Microseconds on a monotonic clock. */
export function nowMicros(): number {
  return Number(process.hrtime.bigint() / 1000n);
}

const MAX_STATUSES = 2000;

export class TwccFeedback {
  readonly #senderSsrc: number;
  #mediaSsrc = 0;
  /** Unwrapped sequence number -> arrival time (us). */
  readonly #arrivals = new Map<number, number>();
  #highest = -1;
  #nextToReport = -1;
  #fbCount = 0;
  #lastSeq16 = -1;
  #cycles = 0;
  /** Packets reported received / lost so far (diagnostics). */
  reportedReceived = 0;
  reportedLost = 0;

  /** @param senderSsrc SSRC of our RTCP sender. */
  constructor(senderSsrc: number) {
    this.#senderSsrc = senderSsrc >>> 0;
  }

  /** Records one packet's transport-wide sequence number at its arrival time. */
  record(seq16: number, mediaSsrc: number, arrivalMicros: number): void {
    this.#mediaSsrc = mediaSsrc;
    if (this.#lastSeq16 >= 0) {
      const d = seq16 - this.#lastSeq16;
      if (d < -0x8000) this.#cycles += 0x10000;
      else if (d > 0x8000 && this.#cycles > 0) { // late packet from the previous cycle
        const seq = this.#cycles - 0x10000 + seq16;
        if (seq >= this.#nextToReport) this.#arrivals.set(seq, arrivalMicros);
        return;
      }
    }
    this.#lastSeq16 = seq16;
    const seq = this.#cycles + seq16;
    if (this.#nextToReport < 0) this.#nextToReport = seq;
    if (seq < this.#nextToReport) return;
    this.#arrivals.set(seq, arrivalMicros);
    if (seq > this.#highest) this.#highest = seq;
  }

  /** Builds the next feedback RTCP packet, or undefined when nothing arrived since the last one. */
  build(): Buffer | undefined {
    if (this.#arrivals.size === 0 || this.#highest < this.#nextToReport) return undefined;
    let base = this.#nextToReport;
    if (this.#highest - base + 1 > MAX_STATUSES) base = this.#highest - MAX_STATUSES + 1;
    // The first reported packet must have arrived: skip a leading run of losses only
    // when it is enormous (handled above); otherwise losses are reported as such.
    let firstArrival = -1;
    for (let s = base; s <= this.#highest; s++) {
      const t = this.#arrivals.get(s);
      if (t !== undefined) { firstArrival = t; break; }
    }
    if (firstArrival < 0) return undefined;
    const count = this.#highest - base + 1;
    const refTime = Math.floor(firstArrival / 64000); // 64 ms units
    let prev = refTime * 64000;

    const symbols = new Uint8Array(count);
    const deltas: number[] = [];
    for (let i = 0; i < count; i++) {
      const t = this.#arrivals.get(base + i);
      if (t === undefined) { this.reportedLost++; continue; }
      this.reportedReceived++;
      let d = Math.round((t - prev) / 250);
      if (d < -32768) d = -32768;
      if (d > 32767) d = 32767;
      prev += d * 250;
      symbols[i] = d >= 0 && d <= 255 ? 1 : 2;
      deltas.push(d);
    }
    const chunks = Math.ceil(count / 7);
    let deltaBytes = 0;
    for (const d of deltas) deltaBytes += d >= 0 && d <= 255 ? 1 : 2;
    const unpadded = 20 + chunks * 2 + deltaBytes;
    const padding = (4 - (unpadded % 4)) % 4;
    const total = unpadded + padding;
    const out = Buffer.alloc(total);
    out[0] = 0x80 | (padding ? 0x20 : 0) | 15;
    out[1] = 205;
    out.writeUInt16BE(total / 4 - 1, 2);
    out.writeUInt32BE(this.#senderSsrc, 4);
    out.writeUInt32BE(this.#mediaSsrc >>> 0, 8);
    out.writeUInt16BE(base & 0xffff, 12);
    out.writeUInt16BE(count, 14);
    out.writeUIntBE(refTime & 0xffffff, 16, 3);
    out[19] = this.#fbCount;
    this.#fbCount = (this.#fbCount + 1) & 0xff;
    let o = 20;
    for (let c = 0; c < chunks; c++) {
      let chunk = 0xc000; // status vector, 2-bit symbols
      for (let k = 0; k < 7; k++) {
        const i = c * 7 + k;
        chunk |= (i < count ? symbols[i]! : 0) << (12 - 2 * k);
      }
      out.writeUInt16BE(chunk, o);
      o += 2;
    }
    for (const d of deltas) {
      if (d >= 0 && d <= 255) out[o++] = d;
      else { out.writeInt16BE(d, o); o += 2; }
    }
    if (padding) out[total - 1] = padding;
    for (let s = this.#nextToReport; s <= this.#highest; s++) this.#arrivals.delete(s);
    this.#nextToReport = this.#highest + 1;
    return out;
  }
}

/** A REMB packet (draft-alvestrand-rmcat-remb) capping the sender at `bitrate` bps. */
export function buildRemb(senderSsrc: number, bitrate: number, ssrcs: number[]): Buffer {
  let exp = 0;
  let mantissa = Math.max(0, Math.floor(bitrate));
  while (mantissa > 0x3ffff) { mantissa = Math.floor(mantissa / 2); exp++; }
  const out = Buffer.alloc(20 + 4 * ssrcs.length);
  out[0] = 0x80 | 15;
  out[1] = 206;
  out.writeUInt16BE(out.length / 4 - 1, 2);
  out.writeUInt32BE(senderSsrc >>> 0, 4);
  out.writeUInt32BE(0, 8);
  out.write('REMB', 12, 'ascii');
  out[16] = ssrcs.length;
  out[17] = (exp << 2) | ((mantissa >> 16) & 0x03);
  out.writeUInt16BE(mantissa & 0xffff, 18);
  ssrcs.forEach((s, i) => out.writeUInt32BE(s >>> 0, 20 + 4 * i));
  return out;
}

/** Parses the bitrate of a REMB packet body (the FCI after 'REMB'), in bps. */
export function rembBitrate(exp: number, mantissa: number): number {
  return mantissa * 2 ** exp;
}

/** Wraps raw RTCP bytes so werift's `sendRtcp` (which calls `serialize()`) can send them. */
export function rawRtcp(buf: Buffer): { serialize(): Buffer } {
  return { serialize: () => buf };
}
