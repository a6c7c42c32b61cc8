/**
 * The relay's datagrams: a show's media forwarded once from the worker or
 * host holding it (a RelayFeed) to another that serves more viewers (a
 * RelaySource), plain RTP over UDP, as mediasoup's pipe transports do.
 *
 * Media: an RTP packet with a 12-byte header (the source's sequence number,
 * timestamp, SSRC and marker) whose payload type names the track: 100 + the
 * simulcast layer index for video, 110 for audio. Control (first byte below
 * 128, so never RTP): type, then the 16-byte session id the origin handed
 * out over authenticated HTTP or IPC, then the body:
 *   HELLO    source -> feed, once a second: "still here, send to this address"
 *   ACK      feed -> source, answering each HELLO: "still feeding"
 *   KEYFRAME source -> feed, one byte layer: a viewer needs a keyframe
 *   BYE      either way: the relay ends
 */

export const RELAY_PT_VIDEO = 100;
export const RELAY_PT_AUDIO = 110;
export const RELAY_HEADER = 12;

export const enum RelayControl {
  Hello = 1,
  Ack = 2,
  Keyframe = 3,
  Bye = 4,
}

export const SESSION_BYTES = 16;
/** How often a source says HELLO, and how long either side waits for the other before ending the relay, ms. */
export const HELLO_EVERY_MS = 1000;
export const PEER_TIMEOUT_MS = 5000;

/** A control datagram: type, session id, optional body bytes. */
export function controlDatagram(type: RelayControl, session: Buffer, body: number[] = []): Buffer {
  const b = Buffer.allocUnsafe(1 + SESSION_BYTES + body.length);
  b[0] = type;
  session.copy(b, 1);
  for (let i = 0; i < body.length; i++) b[1 + SESSION_BYTES + i] = body[i]!;
  return b;
}

/** The control type of `datagram` when it is a control datagram of `session`, else undefined. */
export function readControl(datagram: Buffer, session: Buffer): RelayControl | undefined {
  if (datagram.length < 1 + SESSION_BYTES || datagram[0]! >= 128) return undefined;
  const type = datagram[0]!;
  if (type < RelayControl.Hello || type > RelayControl.Bye) return undefined;
  return session.equals(datagram.subarray(1, 1 + SESSION_BYTES)) ? type : undefined;
}

/** Writes one media packet for the relay (a fresh buffer: dgram keeps it until sent). */
export function mediaDatagram(pt: number, marker: boolean, seq: number, timestamp: number, ssrc: number, payload: Buffer): Buffer {
  const b = Buffer.allocUnsafe(RELAY_HEADER + payload.length);
  b[0] = 0x80;
  b[1] = (marker ? 0x80 : 0) | pt;
  b[2] = seq >>> 8;
  b[3] = seq & 0xff;
  b.writeUInt32BE(timestamp >>> 0, 4);
  b.writeUInt32BE(ssrc >>> 0, 8);
  payload.copy(b, RELAY_HEADER);
  return b;
}
