/**
 * Loads the optional native SRTP protect-and-send addon (`srtp_send.c`).
 * `npm install` builds it (`sfu/native/build.ts`); when it is missing, or
 * `SFU_NATIVE=off`, the forwarder uses the TypeScript path in
 * `rtp/SrtpEncryptor.ts`, which produces the same bytes more slowly.
 */
import { createRequire } from 'node:module';

/** The addon's functions (see srtp_send.c). */
export interface SrtpSendBinding {
  /** A session holding the AES context and the HMAC pad states for one SRTP key. */
  createSession(key: Uint8Array, salt: Uint8Array, authKey: Uint8Array): object;
  /** Protects buffer[offset, offset+length) in place; the 10-byte tag is written after it. */
  protect(session: object, buffer: Uint8Array, offset: number, length: number, headerLength: number, roc: number): void;
  /** Same, then send(2) on the connected socket `fd`: bytes sent, or -errno. */
  protectAndSend(session: object, buffer: Uint8Array, offset: number, length: number, headerLength: number, roc: number, fd: number): number;
  /** Checks and decrypts the SRTP packet buffer[offset, offset+length) in place; false when not authentic. */
  unprotect(session: object, buffer: Uint8Array, offset: number, length: number, headerLength: number, roc: number): boolean;
  /** Encrypts the compound RTCP packet in place and appends E|index and the tag (14 bytes of room needed). */
  protectRtcp(session: object, buffer: Uint8Array, offset: number, length: number, index: number): void;
  /** Same, then send(2) on the connected socket `fd`: bytes sent, or -errno. */
  protectRtcp(session: object, buffer: Uint8Array, offset: number, length: number, index: number, fd: number): number;
  /** Checks and decrypts an SRTCP packet in place; the RTCP is then its first length - 14 bytes. */
  unprotectRtcp(session: object, buffer: Uint8Array, offset: number, length: number): boolean;
  /** The session's number in this thread's table, for sendBatch jobs. */
  sessionId(session: object): number;
  /**
   * Sends one source packet to many viewers: job i is jobs[8i..8i+8) =
   * (session id, fd, (marker|pt) << 16 | seq, timestamp, ssrc, roc, VP8
   * picture id, abs-send-time extension id or 0). Each viewer's packet is its
   * header, then `payload` with the picture id written at `pidAt` (-1: none),
   * protected and sent. Returns how many were sent.
   */
  sendBatch(payload: Uint8Array, jobs: Int32Array, count: number, pidAt: number, pidLong: boolean, absSendTime: number): number;
  /** This platform's EAGAIN (protectAndSend returns it negated when the socket buffer is full). */
  readonly EAGAIN: number;
}

function load(): SrtpSendBinding | undefined {
  if (process.env.SFU_NATIVE === 'off') return undefined;
  try {
    return createRequire(import.meta.url)('./build/Release/srtp_send.node') as SrtpSendBinding;
  } catch {
    return undefined;
  }
}

/** The addon, or undefined when it is not built or is switched off. */
export const srtpSend: SrtpSendBinding | undefined = load();
