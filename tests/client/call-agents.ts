/**
 * Test-only, bundled into the Chromium pages: a model and a client driving the private-call services the way the
 * pages do (log in, bind the wallet, read the channel from the chain, pin keys, call), recording everything the
 * call tells them so the test can read it with `page.evaluate`.
 */
import { JsonRpcProvider, Wallet } from 'ethers';
import { IdentityService } from '../../client/services/identity.ts';
import { Session } from '../../client/services/session.ts';
import { PrivateCall, type CallSignaling } from '../../client/services/private-call.ts';
import { KeyPins } from '../../client/services/key-pins.ts';
import { VoucherVault } from '../../client/services/voucher-vault.ts';
import { safetyCode } from '../../client/services/safety-code.ts';
import { selectedCandidateTypes } from '../../client/services/call-proof.ts';
import { connectChannels, type LiveChannelsClient } from '../../contracts/client.ts';
import { type SignedVoucher, signVoucher, voucherDomain, voucherToJSON } from '../../contracts/voucher.ts';
import { bindWallet, walletBindingMessage } from '../../contracts/wallet-binding.ts';
import type { Identity } from '../../crypto/identity.ts';
import type { ServerToClient } from '../../signaling/protocol.ts';
import { LyingSignaling, swapFingerprint } from './lying-signaling.ts';
import { mark, trace, TracingSignaling, tracePeerConnections, type Mark } from './call-trace.ts';

export interface AgentOptions {
  role: 'model' | 'client';
  privateKey: string;
  /** Prefix of this page's IndexedDB databases (pages of one browser share an origin). */
  db: string;
  chainId: number;
  addresses: { token: string; channels: string };
  /** Wrap the session in a LyingSignaling the test can program. */
  lying?: boolean;
  /** Mark every step of each call (signaling, peer connection) in `log.marks`. */
  trace?: boolean;
}

/** What a call reported, in JSON-safe form. */
export interface CallLog {
  states: string[];
  ended: { code: string; cause: string | undefined; by: string; at: number } | null;
  verified: string | null;
  chat: { from: string; text: string }[];
  vouchers: { cumulativeAmount: string; via: string; tip: string | null }[];
  tick: { minute: number; paidMinutes: number; spent: string; remaining: string } | null;
  connectedAt: number | null;
  remoteStream: boolean;
  /** When the first remote video frame was presented (Date.now()), and when this side's accept began (model). */
  firstFrameAt: number | null;
  acceptAt: number | null;
  /** With `trace`: every step of the call, in order. */
  marks: Mark[];
}

type PrivateRequest = Parameters<ServerToClient['private:request']>[0];

export class Agent {
  readonly session: Session;
  readonly signaling: CallSignaling;
  readonly lying: LyingSignaling | null;
  readonly chain: LiveChannelsClient;
  readonly pins: KeyPins;
  readonly vault: VoucherVault;
  readonly wallet: Wallet;
  readonly domain: ReturnType<typeof voucherDomain>;
  identity!: Identity;
  key = '';
  call: PrivateCall | null = null;
  log: CallLog = emptyLog();
  requests: PrivateRequest[] = [];
  /** Socket frames this page's session sent or received (to prove chat never goes through signaling). */
  stream: MediaStream | null = null;
  /** Client: the signer used for vouchers; a test may swap it (e.g. to withhold). */
  signer: (channelId: string, amount: bigint) => Promise<SignedVoucher>;
  readonly #o: AgentOptions;
  #consumed = 0;

  constructor(o: AgentOptions) {
    this.#o = o;
    const identities = new IdentityService({ dbName: `${o.db}-identity` });
    this.session = new Session({ role: o.role, identities });
    this.lying = o.lying ? new LyingSignaling(this.session) : null;
    if (o.trace) tracePeerConnections();
    const signaling = this.lying ?? this.session;
    this.signaling = o.trace ? new TracingSignaling(signaling) : signaling;
    const provider = new JsonRpcProvider(`${location.origin}/rpc`, o.chainId, { staticNetwork: true, batchMaxCount: 1, cacheTimeout: -1 });
    this.wallet = new Wallet(o.privateKey, provider);
    this.chain = connectChannels(this.wallet, o.addresses);
    this.domain = voucherDomain(o.chainId, o.addresses.channels);
    this.pins = new KeyPins({ dbName: `${o.db}-pins` });
    this.vault = new VoucherVault({ dbName: `${o.db}-vault` });
    this.signer = this.honestSigner;
    this.session.listen('private:request', (r) => { this.requests.push(r); });
  }

  /** Signs with the wallet, as the wallet service does. */
  readonly honestSigner = (channelId: string, amount: bigint): Promise<SignedVoucher> =>
    signVoucher(this.wallet, this.domain, { channelId, cumulativeAmount: amount });

  /** Logs in and binds the wallet; the model also sets its price. */
  async start(price?: { pricePerMinute: string; minMinutes: number }): Promise<string> {
    const info = await this.session.login();
    this.identity = await this.session.identity();
    this.key = info.key;
    const walletSignature = await this.wallet.signMessage(walletBindingMessage(info.key));
    const b = await bindWallet(this.identity, this.wallet.address, walletSignature);
    await this.session.request('wallet:bind', { address: b.address, walletSignature, identitySignature: b.identitySignature });
    if (price) await this.session.request('model:setPrice', price);
    return info.key;
  }

  /** A fresh camera and microphone per call, as the pages take them (the last call's are stopped). */
  async camera(): Promise<MediaStream> {
    this.stream?.getTracks().forEach((t) => t.stop());
    this.stream = await navigator.mediaDevices.getUserMedia({ video: true, audio: true });
    return this.stream;
  }

  /** Client: pins the model's key from the link, then requests on its channel to the model's wallet. */
  async request(o: { modelKey: string; modelWallet: string; pricePerMinute: string; minMinutes: number; direct?: boolean }): Promise<string> {
    await this.pins.pin(o.modelKey, 'link');
    const info = await this.chain.getChannel(this.wallet.address, o.modelWallet);
    const call = this.#newCall(o.modelKey, { channelId: info.channelId, sender: info.sender, deposit: info.deposit }, await this.camera());
    return call.request({ model: o.modelKey, pricePerMinute: BigInt(o.pricePerMinute), minMinutes: o.minMinutes, ...(o.direct ? { direct: true } : {}) });
  }

  /** Model: accepts the latest request, after reading its channel from the chain and pinning the client's key. */
  /**
   * Model: what the studio does while its prompt is on screen: pins the client's key, reads the channel from the
   * chain and the vault, turns the camera on.
   */
  async prepare(): Promise<void> {
    const r = this.requests.at(-1);
    if (!r) throw new Error('no request');
    await this.pins.checkAnnounced(r.client);
    const info = await this.chain.getChannelById(r.channelId);
    if (!info) throw new Error('unknown channel');
    const kept = await this.vault.get(r.channelId);
    this.#prepared = { r, info, floor: kept ? BigInt(kept.cumulativeAmount) : info.paid, stream: await this.camera() };
  }

  #prepared: { r: PrivateRequest; info: { sender: string; deposit: bigint }; floor: bigint; stream: MediaStream } | null = null;

  /** Model: accepts the latest request (prepared first if the prompt's work was not done yet). */
  async accept(o: { direct?: boolean } = {}): Promise<void> {
    if (this.#prepared?.r !== this.requests.at(-1)) await this.prepare();
    const acceptAt = Date.now();
    const { r, info, floor, stream } = this.#prepared!;
    this.#prepared = null;
    const call = this.#newCall(r.client.key, { channelId: r.channelId, sender: info.sender, deposit: info.deposit }, stream, floor);
    this.log.marks.unshift({ name: 'accept', at: acceptAt });
    this.log.acceptAt = acceptAt;
    await call.accept(r.sessionId, o);
  }

  async waitRequest(timeoutMs = 10_000): Promise<PrivateRequest> {
    const end = Date.now() + timeoutMs;
    while (this.requests.length <= this.#consumed) {
      if (Date.now() > end) throw new Error('no private request');
      await new Promise((r) => setTimeout(r, 20));
    }
    this.#consumed = this.requests.length;
    return this.requests.at(-1)!;
  }

  /** Inbound video frames decoded and whether every selected candidate pair is relay on both ends. */
  async media(): Promise<{ framesDecoded: number; audioPackets: number; pairs: [string, string][] }> {
    const pc = this.call?.peerConnection;
    if (!pc) return { framesDecoded: 0, audioPackets: 0, pairs: [] };
    let framesDecoded = 0;
    let audioPackets = 0;
    (await pc.getStats()).forEach((s: { type: string; kind?: string; framesDecoded?: number; packetsReceived?: number }) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') framesDecoded += s.framesDecoded ?? 0;
      if (s.type === 'inbound-rtp' && s.kind === 'audio') audioPackets += s.packetsReceived ?? 0;
    });
    return { framesDecoded, audioPackets, pairs: await selectedCandidateTypes(pc) };
  }

  safetyCode(peerKey: string): Promise<string> {
    return safetyCode(this.key, peerKey);
  }

  /** Model: the vault's kept vouchers (JSON-safe). */
  async kept(): Promise<{ channelId: string; cumulativeAmount: string; synced: boolean }[]> {
    return (await this.vault.list()).map((e) => ({ channelId: e.channelId, cumulativeAmount: e.cumulativeAmount, synced: e.synced }));
  }

  /** Model: settles everything unsettled; JSON-safe report. */
  async settle(): Promise<{ settled: string[]; dropped: { code: string }[]; hash: string | null }> {
    const r = await this.vault.settle(this.chain);
    return { settled: r.settled.map((e) => e.cumulativeAmount), dropped: r.dropped.map((d) => ({ code: d.code })), hash: r.tx?.hash ?? null };
  }

  /** Client: a voucher for `amount`, signed by this wallet (to build replays and lower vouchers). */
  async signed(channelId: string, amount: string): Promise<ReturnType<typeof voucherToJSON>> {
    return voucherToJSON(await signVoucher(this.wallet, this.domain, { channelId, cumulativeAmount: BigInt(amount) }));
  }

  #video: HTMLVideoElement | null = null;

  #newCall(peerKey: string, channel: { channelId: string; sender: string; deposit: bigint }, stream: MediaStream, baselineFloor?: bigint): PrivateCall {
    this.call?.close();
    this.#video?.remove();
    this.#video = null;
    this.log = emptyLog();
    trace.marks = this.log.marks;
    const call = new PrivateCall({
      role: this.#o.role, signaling: this.signaling, identity: this.identity, peerKey, localStream: stream, domain: this.domain, channel,
      ...(this.#o.role === 'client' ? { signVoucher: (id: string, amount: bigint) => this.signer(id, amount) } : {}),
      ...(baselineFloor !== undefined ? { baselineFloor } : {}),
    });
    this.call = call;
    const log = this.log;
    call.events.on('state', (s) => {
      mark(`state ${s}`);
      log.states.push(s);
      if (s === 'connected' && log.connectedAt === null) log.connectedAt = Date.now();
    });
    call.events.on('ended', (e) => {
      const cause = (e.error as { cause?: { code?: string } }).cause?.code;
      log.ended = { code: e.error.code, cause, by: e.by, at: Date.now() };
    });
    call.events.on('verified', (v) => { mark('verified'); log.verified = v.fingerprint; });
    call.events.on('chat', (c) => log.chat.push({ from: c.from, text: c.text }));
    call.events.on('remotestream', (stream) => {
      log.remoteStream = true;
      if (this.#video) return;
      // A playing <video> reports its first presented frame: the moment a person sees the other.
      const video = document.createElement('video');
      video.muted = true;
      video.autoplay = true;
      video.playsInline = true;
      video.srcObject = stream;
      document.body.append(video);
      this.#video = video;
      video.requestVideoFrameCallback(() => { mark('first frame'); log.firstFrameAt ??= Date.now(); });
    });
    call.events.on('tick', (t) => {
      log.tick = { minute: t.minute, paidMinutes: t.paidMinutes, spent: t.spent.toString(), remaining: t.remaining.toString() };
    });
    call.events.on('voucher', (v, info) => {
      log.vouchers.push({ cumulativeAmount: v.cumulativeAmount.toString(), via: info.via, tip: info.tip?.toString() ?? null });
      void this.vault.keep(v, { sender: channel.sender, receiver: this.wallet.address }, info.via === 'signaling');
    });
    return call;
  }
}

function emptyLog(): CallLog {
  return { states: [], ended: null, verified: null, chat: [], vouchers: [], tick: null, connectedAt: null, remoteStream: false, firstFrameAt: null, acceptAt: null, marks: [] };
}

(globalThis as Record<string, unknown>).Rig = { Agent, KeyPins, VoucherVault, safetyCode, swapFingerprint };
