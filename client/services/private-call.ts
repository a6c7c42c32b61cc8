/**
 * A private call in the browser, for both roles: the client requests and offers, the model accepts and answers.
 *
 * - Media and chat are peer-to-peer: a relay-only `RTCPeerConnection` through TURN (direct only when both sides
 *   opted in), video and audio both ways, and an `RTCDataChannel` for text chat, which never goes through
 *   signaling, and as the vouchers' second path (a signaling outage does not stop payment).
 * - No address leaves the relay: own non-relay candidates are never sent, the peer's are dropped on arrival.
 * - A lying server cannot sit in the middle: each side signs `{sessionId, fingerprint, both keys}`; the peer's
 *   statement must be signed by the PINNED peer key, name the SDP's fingerprint, and the live connection's
 *   certificate must have it (call-proof.ts); otherwise the call hangs up with FINGERPRINT_MISMATCH or
 *   PEER_KEY_MISMATCH.
 * - Payment runs on contracts/metering.ts through call-meter.ts; a network blip is healed by an ICE restart.
 */
import type { Identity } from '../../crypto/identity.ts';
import type { SignedVoucher, VoucherDomain } from '../../contracts/voucher.ts';
import { voucherToJSON } from '../../contracts/voucher.ts';
import type { PaymentError } from '../../contracts/errors.ts';
import type { ClientEvent, Payload, Replies, ServerToClient, TurnCredentials } from '../../signaling/protocol.ts';
import { ClientError, toClientError } from '../errors.ts';
import { CallMeter, type MeterTick } from './call-meter.ts';
import { isRelayCandidate, proveMyFingerprint, relayOnlySdp, verifyLiveConnection, verifyPeerDescription, type WireFingerprint } from './call-proof.ts';
import { PeerChannel, type PeerMessage } from './peer-channel.ts';
import { Emitter } from './emitter.ts';

/** What the call needs from the signaling link (the session service's connection satisfies it). */
export interface CallSignaling {
  request<E extends ClientEvent>(event: E, payload: Payload<E>): Promise<Replies[E]>;
  /** Listens to a server push; the returned function stops listening. */
  listen<E extends keyof ServerToClient>(event: E, listener: ServerToClient[E]): () => void;
}

export type CallState = 'idle' | 'requesting' | 'waiting' | 'connecting' | 'connected' | 'reconnecting' | 'ended';

export interface ChatLine { from: 'me' | 'peer'; text: string; at: number }

/** How a call ended: a ClientError (plain words via messages.ts) and who ended it. */
export interface CallEnd { error: ClientError; by: 'me' | 'peer' | 'server' }

export interface PrivateCallOptions {
  role: 'client' | 'model';
  signaling: CallSignaling;
  /** This browser's identity (signs the fingerprint statement). */
  identity: Identity;
  /** The peer's key as this browser pinned it: the model's from the `#/watch/<key>` link, the client's from key-pins. */
  peerKey: string;
  /** Camera and microphone to send. */
  localStream: MediaStream;
  /** Chain and LiveChannels contract of the vouchers. */
  domain: VoucherDomain;
  /** The channel paying for the call, as read from the chain: its sender wallet and deposit. */
  channel: { channelId: string; sender: string; deposit: bigint };
  /** Client: signs a voucher with the channel's sender wallet (the wallet service's signer). */
  signVoucher?: (channelId: string, cumulativeAmount: bigint) => Promise<SignedVoucher>;
  /** Model: the least the channel already owed before this call (kept vouchers, on-chain paid); the server's word is raised to it. */
  baselineFloor?: bigint;
  /** The client signs each minute's voucher this long before it starts (metering `leadMs`). */
  leadMs?: number;
  /** How long `disconnected` may last before the client restarts ICE (ms, default 1500). */
  iceRestartDelayMs?: number;
}

/** What accept says, for either side. */
interface Accepted {
  sessionId: string; turn: TurnCredentials; peer: { key: string; pseudonym: string };
  startedAt: number; baseline: string; minuteMs: number; graceMs: number; pricePerMinute: string; channelId: string; direct: boolean;
}

type Events = {
  state: [CallState];
  remotestream: [MediaStream];
  chat: [ChatLine];
  tick: [MeterTick];
  /** Model: a new voucher accepted (keep it in the voucher vault), and the path it came by. */
  voucher: [SignedVoucher, { tip: bigint | undefined; via: 'signaling' | 'peer' }];
  /** Both checks of the peer passed: its signed fingerprint against the SDP, then against the live certificate. */
  verified: [{ fingerprint: string }];
  /** Client: the deposit cannot pay the next minute. */
  lowdeposit: [];
  ended: [CallEnd];
};

export class PrivateCall {
  readonly events = new Emitter<Events>();
  readonly #o: PrivateCallOptions;
  #state: CallState = 'idle';
  #sessionId: string | undefined;
  #terms: Accepted | undefined;
  #pc: RTCPeerConnection | undefined;
  #peer: PeerChannel | undefined;
  #meter: CallMeter | undefined;
  #verified: string | undefined;
  #pendingCandidates: RTCIceCandidateInit[] = [];
  #unsentToServer: { voucher: SignedVoucher; tip: bigint | undefined }[] = [];
  #restartTimer: ReturnType<typeof setTimeout> | undefined;
  #retryTimer: ReturnType<typeof setInterval> | undefined;
  #end: CallEnd | undefined;
  #early: Accepted | undefined;
  /** Candidates received that were not `typ relay` in a relay-only call (dropped). */
  droppedCandidates = 0;
  readonly #off: (() => void)[] = [];

  constructor(options: PrivateCallOptions) {
    if (options.role === 'client' && !options.signVoucher) throw new TypeError('a client call needs signVoucher');
    this.#o = options;
    this.#listen('private:signal', (e) => { if (e.sessionId === this.#sessionId) void this.#onSignal(e).catch((err) => this.#fail(err)); });
    this.#listen('private:ended', (e) => {
      if (e.sessionId !== this.#sessionId) return;
      const byPeer = e.by !== undefined && e.by === this.#o.peerKey;
      const code = e.reason === 'voucher_late' ? 'CALL_VOUCHER_LATE' : e.reason === 'disconnected' ? 'CALL_DISCONNECTED' : byPeer ? 'CALL_ENDED_BY_PEER' : 'CALL_ENDED';
      this.#finish(new ClientError(code, `the server ended the call (${e.reason})`), byPeer ? 'peer' : 'server', false);
    });
    if (options.role === 'client') {
      this.#listen('private:accepted', (e) => {
        const accepted: Accepted = { ...e, peer: e.model };
        if (e.sessionId === this.#sessionId) void this.#begin(accepted).catch((err) => this.#fail(err));
        else if (this.#state === 'requesting') this.#early = accepted;
      });
      this.#listen('private:declined', (e) => {
        if (e.sessionId !== this.#sessionId) return;
        this.#finish(new ClientError(e.reason === 'timeout' ? 'CALL_TIMEOUT' : 'CALL_DECLINED', `the model ${e.reason === 'timeout' ? 'did not answer' : 'declined'}`), 'peer', false);
      });
    } else {
      this.#listen('private:voucher', (e) => { if (e.sessionId === this.#sessionId) this.#meter?.receive(e.voucher, e.tip, 'signaling'); });
    }
  }

  get state(): CallState { return this.#state; }
  get sessionId(): string | undefined { return this.#sessionId; }
  /** The peer connection, once there is one (for stats). */
  get peerConnection(): RTCPeerConnection | undefined { return this.#pc; }
  /** The fingerprint the peer proved, once the live connection showed it. */
  get verifiedFingerprint(): string | undefined { return this.#verified; }
  /** Model: the highest voucher accepted in this call. */
  get lastVoucher(): SignedVoucher | undefined { return this.#meter?.lastVoucher; }
  get endedWith(): CallEnd | undefined { return this.#end; }
  /** The minute clock both sides run, once accepted: minute 1 starts at `startedAt`. */
  get metering(): { startedAt: number; minuteMs: number; graceMs: number; pricePerMinute: bigint } | undefined {
    const t = this.#terms;
    return t && { startedAt: t.startedAt, minuteMs: t.minuteMs, graceMs: t.graceMs, pricePerMinute: BigInt(t.pricePerMinute) };
  }

  /** Client: asks the model; resolves with the session id once the server took the request. */
  async request(p: { model: string; pricePerMinute: bigint; minMinutes: number; direct?: boolean }): Promise<string> {
    if (this.#o.role !== 'client' || this.#state !== 'idle') throw new ClientError('CONFLICT', 'this call has already started');
    if (p.model !== this.#o.peerKey) throw new ClientError('PEER_KEY_MISMATCH', 'request: not the pinned model key');
    this.#setState('requesting');
    // Everything of the connection but its TURN servers is made while the model reads the prompt: on accept,
    // the offer only needs its ICE servers set and goes out.
    this.#buildPeer();
    try {
      const reply = await this.#o.signaling.request('private:request', {
        model: p.model, pricePerMinute: p.pricePerMinute.toString(), minMinutes: p.minMinutes,
        channelId: this.#o.channel.channelId, ...(p.direct ? { direct: true } : {}),
      });
      this.#sessionId = reply.sessionId;
      this.#setState('waiting');
      const early = this.#early;
      this.#early = undefined;
      if (early?.sessionId === reply.sessionId) void this.#begin(early).catch((err) => this.#fail(err));
      this.#expectedPrice = p.pricePerMinute;
      return reply.sessionId;
    } catch (err) {
      this.#finish(toClientError(err), 'server', false);
      throw toClientError(err);
    }
  }

  #expectedPrice: bigint | undefined;

  /** Model: accepts a request; the call connects when the client's offer arrives. */
  async accept(sessionId: string, opts: { direct?: boolean } = {}): Promise<void> {
    if (this.#o.role !== 'model' || this.#state !== 'idle') throw new ClientError('CONFLICT', 'this call has already started');
    this.#sessionId = sessionId;
    this.#setState('connecting');
    let reply: Replies['private:accept'];
    try {
      reply = await this.#o.signaling.request('private:accept', { sessionId, ...(opts.direct ? { direct: true } : {}) });
    } catch (err) {
      this.#finish(toClientError(err), 'server', false);
      throw toClientError(err);
    }
    await this.#begin({ ...reply, peer: reply.client }).catch((err) => this.#fail(err));
  }

  /** Sends a chat line over the data channel (never through signaling). */
  sendChat(text: string): void {
    const line = text.trim();
    if (!line || !this.#peer?.open) throw new ClientError('CONFLICT', 'the chat is not connected');
    this.#peer.send({ t: 'chat', text: line });
    this.events.emit('chat', { from: 'me', text: line, at: Date.now() });
  }

  /** Client: tips `amount` (base units) on the call's channel, over both paths. */
  async tip(amount: bigint): Promise<void> {
    if (!this.#meter || this.#o.role !== 'client') throw new ClientError('CONFLICT', 'no paid call to tip in');
    try {
      await this.#meter.tip(amount);
    } catch (err) {
      throw toClientError(err);
    }
  }

  /** Hangs up (tells the peer and the server). Idempotent. */
  end(): void {
    this.#finish(new ClientError('CALL_ENDED', 'you ended the call'), 'me', true);
  }

  /** Same as `end()`, and drops every listener. */
  close(): void {
    this.end();
    this.events.clear();
  }

  // ------------------------------------------------------------------ setup

  async #begin(a: Accepted): Promise<void> {
    if (this.#terms || this.#state === 'ended') return;
    const { role, channel } = this.#o;
    if (a.peer.key !== this.#o.peerKey) throw new ClientError('PEER_KEY_MISMATCH', 'the server named another key for the peer than the pinned one');
    if (a.channelId.toLowerCase() !== channel.channelId.toLowerCase()) throw new ClientError('CONFLICT', 'the call is on another channel than the one asked for');
    if (this.#expectedPrice !== undefined && BigInt(a.pricePerMinute) !== this.#expectedPrice) throw new ClientError('CONFLICT', 'the price is not the one asked for');
    this.#terms = a;
    this.#setState('connecting');
    const floor = this.#o.baselineFloor ?? 0n;
    const baseline = BigInt(a.baseline) > floor ? BigInt(a.baseline) : floor;
    this.#meter = new CallMeter({
      role: role === 'client' ? 'payer' : 'payee', domain: this.#o.domain, channelId: channel.channelId, sender: channel.sender,
      pricePerMinute: BigInt(a.pricePerMinute), deposit: channel.deposit, baseline, startedAt: a.startedAt,
      graceMs: a.graceMs, minuteMs: a.minuteMs, ...(this.#o.leadMs === undefined ? {} : { leadMs: this.#o.leadMs }),
      ...(this.#o.signVoucher ? { signVoucher: this.#o.signVoucher } : {}),
    });
    this.#meter.events.on('tick', (t) => this.events.emit('tick', t));
    this.#meter.events.on('lowdeposit', () => this.events.emit('lowdeposit'));
    this.#meter.events.on('ended', (err) => this.#fail(paymentEnd(err)));
    this.#meter.events.on('signed', (v, tip) => this.#sendVoucher(v, tip));
    this.#meter.events.on('accepted', (v, info) => this.events.emit('voucher', v, info));

    const config: RTCConfiguration = {
      iceServers: [{ urls: a.turn.urls, username: a.turn.username, credential: a.turn.credential }],
      iceTransportPolicy: a.direct ? 'all' : 'relay',
    };
    // No candidate pool: Chromium never hands a pooled allocation to an answerer, and the offerer's local
    // description follows within milliseconds, long before a pooled allocation would be ready.
    if (this.#pc) this.#pc.setConfiguration(config);
    else this.#buildPeer(config);
    if (role === 'client') {
      // The offer first: signing the first voucher (a secp256k1 signature in JS) would hold the offer back.
      await this.#offer(false);
      this.#meter.start();
    } else {
      this.#meter.start();
    }
  }

  /**
   * The peer connection, its tracks (the client offers one sendrecv transceiver per track; the model attaches its
   * tracks to the offered ones), the chat channel and every listener. Without `config` (a client waiting for the
   * model) it has no ICE servers yet: `#begin` sets them before the offer is applied, so nothing is gathered before.
   */
  #buildPeer(config: RTCConfiguration = { iceServers: [], iceTransportPolicy: 'relay' }): void {
    const pc = new RTCPeerConnection(config);
    this.#pc = pc;
    if (this.#o.role === 'client') this.#attachTracks(pc);
    const remote = new MediaStream();
    pc.addEventListener('track', (e) => {
      remote.addTrack(e.track);
      this.events.emit('remotestream', remote);
    });
    pc.addEventListener('icecandidate', (e) => {
      if (!e.candidate || !e.candidate.candidate || !this.#terms) return;
      if (!this.#terms.direct && !isRelayCandidate(e.candidate.candidate)) return;
      const c = e.candidate.toJSON();
      void this.#signal({ candidate: { candidate: c.candidate ?? '', sdpMid: c.sdpMid ?? null, sdpMLineIndex: c.sdpMLineIndex ?? null } }).catch(() => undefined);
    });
    pc.addEventListener('connectionstatechange', () => void this.#onConnectionState());
    pc.addEventListener('iceconnectionstatechange', () => this.#onIceState());
    this.#peer = new PeerChannel(pc.createDataChannel('call', { negotiated: true, id: 0, ordered: true }));
    this.#peer.events.on('message', (m) => this.#onPeerMessage(m));
    this.#peer.events.on('open', () => this.#flushUnsent());
    this.#retryTimer = setInterval(() => this.#flushUnsent(), 2_000);
    if (this.#o.role === 'client') this.#firstOffer = pc.createOffer();
  }

  /** The client's first offer, created while waiting for the model (before any ICE server is known). */
  #firstOffer: Promise<RTCSessionDescriptionInit> | undefined;

  #tracksAttached = false;

  #attachTracks(pc: RTCPeerConnection): void {
    this.#tracksAttached = true;
    const stream = this.#o.localStream;
    for (const track of stream.getTracks()) {
      if (this.#o.role === 'client') pc.addTransceiver(track, { direction: 'sendrecv', streams: [stream] });
      else pc.addTrack(track, stream); // reuses the offer's transceiver of that kind
    }
  }

  async #offer(iceRestart: boolean): Promise<void> {
    const pc = this.#pc;
    if (!pc || this.#state === 'ended') return;
    const first = iceRestart ? undefined : this.#firstOffer;
    this.#firstOffer = undefined;
    await pc.setLocalDescription(await (first ?? pc.createOffer({ iceRestart })));
    await this.#sendDescription(pc.localDescription!);
  }

  async #sendDescription(d: RTCSessionDescription): Promise<void> {
    const sdp = this.#terms!.direct ? d.sdp : relayOnlySdp(d.sdp);
    const proof: WireFingerprint = await proveMyFingerprint(this.#sessionId!, sdp, this.#o.identity, this.#o.peerKey);
    await this.#signal({ description: { type: d.type as 'offer' | 'answer', sdp }, fingerprint: proof });
  }

  #signal(p: Omit<Payload<'private:signal'>, 'sessionId'>): Promise<unknown> {
    return this.#o.signaling.request('private:signal', { sessionId: this.#sessionId!, ...p } as Payload<'private:signal'>);
  }

  // ------------------------------------------------------------------ incoming

  async #onSignal(e: Parameters<ServerToClient['private:signal']>[0]): Promise<void> {
    const pc = this.#pc;
    if (!pc || !this.#terms || this.#state === 'ended') return;
    if (e.description) {
      const expected = this.#o.role === 'client' ? 'answer' : 'offer';
      if (e.description.type !== expected) return;
      const sdp = this.#terms!.direct ? e.description.sdp : relayOnlySdp(e.description.sdp);
      const fingerprint = await verifyPeerDescription({
        sessionId: this.#sessionId!, from: e.from, pinnedPeerKey: this.#o.peerKey, myKey: this.#o.identity.publicKey, sdp, proof: e.fingerprint,
      });
      if (this.#verified !== undefined && this.#verified !== fingerprint) throw new ClientError('FINGERPRINT_MISMATCH', 'the peer\'s fingerprint changed in the call');
      this.#proven = fingerprint;
      await pc.setRemoteDescription({ type: e.description.type, sdp });
      if (this.#o.role === 'model' && !this.#tracksAttached) this.#attachTracks(pc);
      for (const c of this.#pendingCandidates.splice(0)) await pc.addIceCandidate(c).catch(() => undefined);
      if (this.#o.role === 'model') {
        await pc.setLocalDescription(await pc.createAnswer());
        await this.#sendDescription(pc.localDescription!);
      }
    }
    if (e.candidate) {
      if (e.from !== this.#o.peerKey) return;
      if (!this.#terms!.direct && !isRelayCandidate(e.candidate.candidate)) {
        this.droppedCandidates++;
        return;
      }
      if (!pc.remoteDescription) this.#pendingCandidates.push(e.candidate);
      else await pc.addIceCandidate(e.candidate).catch(() => undefined);
    }
  }

  /** The fingerprint proven by the peer's signed statement (checked against the live certificate once connected). */
  #proven: string | undefined;

  async #onConnectionState(): Promise<void> {
    const pc = this.#pc;
    if (!pc || this.#state === 'ended') return;
    if (pc.connectionState === 'connected') {
      try {
        await verifyLiveConnection(pc, this.#proven ?? '');
      } catch (err) {
        return this.#fail(err);
      }
      if ((this.#state as CallState) === 'ended') return;
      const first = this.#verified === undefined;
      this.#verified = this.#proven;
      if (first) this.events.emit('verified', { fingerprint: this.#verified! });
      this.#setState('connected');
    } else if (pc.connectionState === 'failed' && this.#o.role === 'model') {
      this.#setState('reconnecting');
    }
  }

  #onIceState(): void {
    const pc = this.#pc;
    if (!pc || this.#state === 'ended') return;
    const s = pc.iceConnectionState;
    if (s === 'disconnected' || s === 'failed') {
      if (this.#state === 'connected') this.#setState('reconnecting');
      if (this.#o.role !== 'client' || this.#restartTimer) return;
      // `disconnected` often heals by itself within a second; `failed` never does.
      const delay = s === 'failed' ? 0 : this.#o.iceRestartDelayMs ?? 1_500;
      this.#scheduleRestart(delay);
    } else if ((s === 'connected' || s === 'completed') && this.#state === 'reconnecting' && this.#verified) {
      this.#setState('connected');
    }
  }

  /** Restarts ICE after `delayMs`, and again every few seconds while the call has not healed (the relay may be back later). */
  #scheduleRestart(delayMs: number): void {
    this.#restartTimer = setTimeout(() => {
      this.#restartTimer = undefined;
      if (this.#state !== 'reconnecting') return;
      void this.#offer(true).catch(() => undefined);
      this.#scheduleRestart(RESTART_RETRY_MS);
    }, delayMs);
  }

  #onPeerMessage(m: PeerMessage): void {
    if (m.t === 'chat') this.events.emit('chat', { from: 'peer', text: m.text, at: Date.now() });
    else if (m.t === 'voucher') this.#meter?.receive(m.voucher, m.tip, 'peer');
    else if (m.t === 'bye') this.#finish(new ClientError(m.code === 'CALL_ENDED' ? 'CALL_ENDED_BY_PEER' : m.code, 'the other person ended the call'), 'peer', false);
  }

  // ------------------------------------------------------------------ payment paths

  #sendVoucher(voucher: SignedVoucher, tip: bigint | undefined): void {
    const json = voucherToJSON(voucher);
    if (this.#peer?.open) this.#peer.send({ t: 'voucher', voucher: json, ...(tip ? { tip: tip.toString() } : {}) });
    else this.#unsentToPeer.push({ voucher, tip });
    this.#toServer(voucher, tip);
  }

  #unsentToPeer: { voucher: SignedVoucher; tip: bigint | undefined }[] = [];

  #toServer(voucher: SignedVoucher, tip: bigint | undefined): void {
    this.#o.signaling.request('private:voucher', { sessionId: this.#sessionId!, voucher: voucherToJSON(voucher), ...(tip ? { tip: tip.toString() } : {}) })
      .catch((err) => {
        // Signaling is away: the peer has it over the data channel; the server gets it again when signaling is back.
        if (toClientError(err).code === 'TIMEOUT' || toClientError(err).code === 'NETWORK') this.#unsentToServer.push({ voucher, tip });
      });
  }

  #flushUnsent(): void {
    if (this.#state === 'ended') return;
    if (this.#peer?.open) {
      for (const { voucher, tip } of this.#unsentToPeer.splice(0)) this.#peer.send({ t: 'voucher', voucher: voucherToJSON(voucher), ...(tip ? { tip: tip.toString() } : {}) });
    }
    // Only the latest matters to the server (cumulative); earlier tips are inside it.
    const latest = this.#unsentToServer.splice(0).pop();
    if (latest) this.#toServer(latest.voucher, undefined);
  }

  // ------------------------------------------------------------------ ending

  #fail(err: unknown): void {
    this.#finish(toClientError(err, 'CALL_FAILED'), 'me', true);
  }

  #finish(error: ClientError, by: CallEnd['by'], tell: boolean): void {
    if (this.#state === 'ended') return;
    this.#end = { error, by };
    let byeSent = false;
    if (tell) {
      if (this.#peer?.open) {
        this.#peer.send({ t: 'bye', code: error.code });
        byeSent = true;
      }
      if (this.#sessionId) void this.#o.signaling.request('private:end', { sessionId: this.#sessionId }).catch(() => undefined);
    }
    clearTimeout(this.#restartTimer);
    clearInterval(this.#retryTimer);
    this.#meter?.close();
    const peer = this.#peer;
    const pc = this.#pc;
    // Closing at once can drop the goodbye still in the data channel's buffer: the peer would not learn why.
    const hangUp = () => { peer?.close(); pc?.close(); };
    if (byeSent) setTimeout(hangUp, 150);
    else hangUp();
    for (const off of this.#off.splice(0)) off();
    this.#setState('ended');
    this.events.emit('ended', this.#end);
  }

  #setState(state: CallState): void {
    if (this.#state === state || this.#state === 'ended') return;
    this.#state = state;
    this.events.emit('state', state);
  }

  #listen<E extends keyof ServerToClient>(event: E, listener: ServerToClient[E]): void {
    this.#off.push(this.#o.signaling.listen(event, listener));
  }
}

/** How often a call that is still not healed tries another ICE restart. */
const RESTART_RETRY_MS = 4_000;

/** A payment that ended the call, in the client's codes. */
function paymentEnd(err: PaymentError): ClientError {
  if (err.code === 'PAYMENT_VOUCHER_LATE') return new ClientError('CALL_VOUCHER_LATE', err.message, { cause: err });
  if (err.code === 'PAYMENT_DEPOSIT_EXHAUSTED') return new ClientError('DEPOSIT_EXHAUSTED', err.message, { cause: err });
  if (err.code === 'PAYMENT_SESSION_ENDED') return new ClientError('CALL_ENDED', err.message, { cause: err });
  return new ClientError('VOUCHER_INVALID', err.message, { cause: err });
}
