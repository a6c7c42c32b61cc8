/**
 * What a browser checks in a private call so that a lying signaling server cannot sit in the middle or learn an
 * address: the peer's signed DTLS fingerprint against the pinned peer key, the SDP and the live connection's
 * certificate (crypto/fingerprint.ts), and that no candidate other than `typ relay` goes out or comes in.
 * Functions only: the call (private-call.ts) decides when to run them.
 */
import { fingerprintsEqual, normalizeFingerprint, signFingerprint, verifyFingerprint } from '../../crypto/fingerprint.ts';
import type { Identity } from '../../crypto/identity.ts';
import { isPlatformError } from '../../crypto/errors.ts';
import { ClientError } from '../errors.ts';

/** The fingerprint and signature as they travel with a description (protocol.ts `private:signal`). */
export interface WireFingerprint { fingerprint: string; signature: string }

/** The one DTLS fingerprint of an SDP; every `a=fingerprint` line must agree (a mix is an attack or a bug). */
export function sdpFingerprint(sdp: string): string {
  const found = new Set<string>();
  for (const line of sdp.split(/\r?\n/)) {
    if (!line.startsWith('a=fingerprint:')) continue;
    try {
      found.add(normalizeFingerprint(line.trim()));
    } catch (cause) {
      throw new ClientError('FINGERPRINT_MISMATCH', 'the description carries a malformed DTLS fingerprint', { cause });
    }
  }
  if (found.size !== 1) throw new ClientError('FINGERPRINT_MISMATCH', `the description carries ${found.size} different DTLS fingerprints`);
  return [...found][0]!;
}

/** True for an ICE candidate line (`candidate:...` or `a=candidate:...`) of type relay. */
export function isRelayCandidate(candidate: string): boolean {
  return /\styp\s+relay(\s|$)/.test(candidate);
}

/** The SDP without any `a=candidate` line that is not `typ relay` (what a relay-only call sends and accepts). */
export function relayOnlySdp(sdp: string): string {
  const eol = sdp.includes('\r\n') ? '\r\n' : '\n';
  return sdp.split(/\r?\n/).filter((line) => !line.startsWith('a=candidate:') || isRelayCandidate(line)).join(eol);
}

/** Signs `{sessionId, my fingerprint, my key, the peer's key}` for the description I send. */
export async function proveMyFingerprint(sessionId: string, sdp: string, me: Identity, peerKey: string): Promise<WireFingerprint> {
  const signed = await signFingerprint({ sessionId, fingerprint: sdpFingerprint(sdp), ownKey: me.publicKey, peerKey }, me);
  return { fingerprint: signed.fingerprint, signature: signed.signature };
}

export interface PeerProof {
  sessionId: string;
  /** Who signaling says sent it (`private:signal` `from`). */
  from: string;
  /** The key this browser pinned for the peer: the only key whose signature counts. */
  pinnedPeerKey: string;
  myKey: string;
  sdp: string;
  proof: WireFingerprint | undefined;
}

/**
 * Checks the peer's description: sent by the pinned key, its statement signed by that key for this session and
 * me, and naming the fingerprint the SDP carries. Returns that fingerprint (to compare with the live connection).
 * Throws ClientError PEER_KEY_MISMATCH or FINGERPRINT_MISMATCH.
 */
export async function verifyPeerDescription(p: PeerProof): Promise<string> {
  if (p.from !== p.pinnedPeerKey) throw new ClientError('PEER_KEY_MISMATCH', 'the description comes from another key than the pinned peer key');
  if (!p.proof) throw new ClientError('FINGERPRINT_MISMATCH', 'the description carries no signed fingerprint');
  const fingerprint = sdpFingerprint(p.sdp);
  try {
    await verifyFingerprint(
      { v: 1, sessionId: p.sessionId, fingerprint: p.proof.fingerprint, ownKey: p.pinnedPeerKey, peerKey: p.myKey, signature: p.proof.signature },
      { sessionId: p.sessionId, signerKey: p.pinnedPeerKey, myKey: p.myKey, fingerprint },
    );
  } catch (cause) {
    const what = isPlatformError(cause, 'CRYPTO_STATEMENT_MISMATCH') ? 'names another fingerprint than the SDP' : 'is not signed by the pinned peer key';
    throw new ClientError('FINGERPRINT_MISMATCH', `the peer's fingerprint statement ${what}`, { cause });
  }
  return fingerprint;
}

/** `sha-256 AB:..` of the certificate the live DTLS transport got from the peer (getStats), or null before DTLS is up. */
export async function liveRemoteFingerprint(pc: RTCPeerConnection): Promise<string | null> {
  const stats = await pc.getStats();
  let certificateId: string | undefined;
  stats.forEach((s: { type: string; remoteCertificateId?: string; dtlsState?: string }) => {
    if (s.type === 'transport' && s.remoteCertificateId && s.dtlsState === 'connected') certificateId = s.remoteCertificateId;
  });
  if (!certificateId) return null;
  const cert = stats.get(certificateId) as { fingerprint?: string; fingerprintAlgorithm?: string } | undefined;
  if (!cert?.fingerprint || !cert.fingerprintAlgorithm) return null;
  return normalizeFingerprint(`${cert.fingerprintAlgorithm} ${cert.fingerprint}`);
}

/** Throws FINGERPRINT_MISMATCH unless the live connection's remote certificate has the verified fingerprint. */
export async function verifyLiveConnection(pc: RTCPeerConnection, verified: string): Promise<void> {
  const live = await liveRemoteFingerprint(pc);
  if (live === null) throw new ClientError('FINGERPRINT_MISMATCH', 'the connection shows no remote certificate');
  if (!fingerprintsEqual(live, verified)) throw new ClientError('FINGERPRINT_MISMATCH', 'the connected peer\'s certificate is not the one it signed');
}

/** Every selected candidate pair's local and remote candidate types (getStats), e.g. `[['relay', 'relay']]`. */
export async function selectedCandidateTypes(pc: RTCPeerConnection): Promise<[string, string][]> {
  const stats = await pc.getStats();
  const pairs: [string, string][] = [];
  stats.forEach((s: { type: string; selectedCandidatePairId?: string }) => {
    if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
    const pair = stats.get(s.selectedCandidatePairId) as { localCandidateId?: string; remoteCandidateId?: string } | undefined;
    const local = pair?.localCandidateId ? stats.get(pair.localCandidateId) as { candidateType?: string } : undefined;
    const remote = pair?.remoteCandidateId ? stats.get(pair.remoteCandidateId) as { candidateType?: string } : undefined;
    pairs.push([local?.candidateType ?? 'unknown', remote?.candidateType ?? 'unknown']);
  });
  return pairs;
}
