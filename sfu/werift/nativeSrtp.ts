/**
 * Hands werift's SRTP decrypt and SRTCP protect/unprotect for one DTLS
 * transport to the native addon (`sfu/native/`). werift makes a fresh
 * cipher and HMAC object per packet (about 10-20 us each); the publisher's
 * ingest and every viewer's RTCP go through these paths. The replacements
 * keep werift's contracts (return shapes, SrtpAuthenticationError on a bad
 * tag) and are only installed for the AES-CM profile when the addon is built.
 */
import { SrtpAuthenticationError, type RTCDtlsTransport, type RtpHeader } from 'werift';
import { srtpSend, type SrtpSendBinding } from '../native/srtpSend.ts';

const AES_CM_HMAC_SHA1_80 = 1;
const TAG = 10;

/** The fields of werift's CipherAesCtr the replacements read and the methods they replace. */
interface CtrCipher {
  srtpSessionKey: Buffer; srtpSessionSalt: Buffer; srtpSessionAuthTag: Buffer;
  srtcpSessionKey: Buffer; srtcpSessionSalt: Buffer; srtcpSessionAuthTag: Buffer;
  decryptRtp(cipherText: Buffer, roc: number, header: RtpHeader): [Buffer, RtpHeader];
  decryptRTCP(encrypted: Buffer): [Buffer, unknown];
  encryptRTCP(rtcp: Buffer, index: number): Buffer;
}
interface SessionPair { localContext?: { profile: number; cipher: CtrCipher }; remoteContext?: { profile: number; cipher: CtrCipher } }

/** The native SRTCP sessions installed on a transport, for callers that read or write RTCP themselves. */
export interface NativeRtcp {
  /** The peer's keys: checks and decrypts what it sends. */
  inbound: object;
  /** Our keys: protects what we send (the caller owns the SRTCP index of the SSRCs it sends for). */
  outbound: object;
}

/** Installs the native paths on `dtls`'s current SRTP sessions; undefined when it cannot (no addon, GCM, not started). */
export function accelerateSrtp(dtls: RTCDtlsTransport): NativeRtcp | undefined {
  const native = srtpSend;
  const { srtp, srtcp } = dtls as unknown as { srtp?: SessionPair; srtcp?: SessionPair };
  const rtpIn = srtp?.remoteContext;
  const rtcpIn = srtcp?.remoteContext;
  const rtcpOut = srtcp?.localContext;
  if (!native || !rtpIn || !rtcpIn || !rtcpOut) return undefined;
  if (rtpIn.profile !== AES_CM_HMAC_SHA1_80 || rtcpIn.profile !== AES_CM_HMAC_SHA1_80 || rtcpOut.profile !== AES_CM_HMAC_SHA1_80) return undefined;
  nativeRtpDecrypt(native, rtpIn.cipher);
  return { inbound: nativeRtcpDecrypt(native, rtcpIn.cipher), outbound: nativeRtcpEncrypt(native, rtcpOut.cipher) };
}

function nativeRtpDecrypt(native: SrtpSendBinding, cipher: CtrCipher): void {
  const session = native.createSession(cipher.srtpSessionKey, cipher.srtpSessionSalt, cipher.srtpSessionAuthTag);
  cipher.decryptRtp = (cipherText, roc, header) => {
    // werift parsed the (cleartext) header already; the datagram is ours to decrypt in place.
    if (!native.unprotect(session, cipherText, 0, cipherText.length, header.payloadOffset, roc)) {
      throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
    }
    const packet = cipherText.subarray(0, cipherText.length - TAG);
    header.paddingSize = 0;
    if (header.padding) {
      const size = packet[packet.length - 1] ?? 0;
      if (packet.length <= header.payloadOffset || size === 0 || size > packet.length - header.payloadOffset) {
        throw new SrtpAuthenticationError('Failed to authenticate SRTP packet');
      }
      header.paddingSize = size;
    }
    return [packet, header];
  };
}

function nativeRtcpDecrypt(native: SrtpSendBinding, cipher: CtrCipher): object {
  const session = native.createSession(cipher.srtcpSessionKey, cipher.srtcpSessionSalt, cipher.srtcpSessionAuthTag);
  cipher.decryptRTCP = (encrypted) => {
    if (!native.unprotectRtcp(session, encrypted, 0, encrypted.length)) {
      throw new SrtpAuthenticationError('Failed to authenticate SRTCP packet');
    }
    // werift's callers read only the packet (the header it also returns is unused).
    return [encrypted.subarray(0, encrypted.length - TAG - 4), undefined];
  };
  return session;
}

function nativeRtcpEncrypt(native: SrtpSendBinding, cipher: CtrCipher): object {
  const session = native.createSession(cipher.srtcpSessionKey, cipher.srtcpSessionSalt, cipher.srtcpSessionAuthTag);
  cipher.encryptRTCP = (rtcp, index) => {
    const out = Buffer.allocUnsafe(rtcp.length + 4 + TAG);
    rtcp.copy(out);
    native.protectRtcp(session, out, 0, rtcp.length, index);
    return out;
  };
  return session;
}
