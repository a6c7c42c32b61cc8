/**
 * The model's side of private shows in the studio: requests arrive (with a sound and a prompt), the model
 * accepts or declines, the call runs (CallViewController), every voucher is kept in this browser's vault, and
 * the earnings (per call, the unsettled total, merged with what the server keeps) settle in one click.
 * Loads the wallet (ethers) when the studio opens: the model's wallet must be bound to be paid.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ServerToClient } from '../../signaling/protocol.ts';
import type { ChannelInfo } from '../../contracts/client.ts';
import type { Services } from '../services/services.ts';
import type { WalletService } from '../services/wallet.ts';
import type { VoucherVault } from '../services/voucher-vault.ts';
import type { EarningsRow } from '../components/earnings-panel.ts';
import { PaymentError, type PaymentErrorCode } from '../../contracts/errors.ts';
import { formatAmount } from '../format.ts';
import { ClientError } from '../errors.ts';
import { messageFor } from '../messages.ts';
import { CallViewController } from './call-view.ts';
import { camera } from './private-request.ts';

/**
 * How far back the studio looks for a channel's opening: the same-origin RPC answers `eth_getLogs` over at most
 * 50,000 blocks (signaling/chain-routes.ts RPC_MAX_LOG_BLOCKS).
 */
const LOG_WINDOW_BLOCKS = 49_999;

export type PrivateRequestEvent = Parameters<ServerToClient['private:request']>[0];

/** What accepting a request needs, gathered while its prompt is on screen. */
interface Prepared {
  PrivateCall: typeof import('../services/private-call.ts').PrivateCall;
  voucherDomain: typeof import('../../contracts/voucher.ts').voucherDomain;
  channel: ChannelInfo;
  /** The least the channel owed before this call (kept voucher or on-chain paid). */
  floor: bigint;
  stream: MediaStream;
}

export class PrivateStudioController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly view: CallViewController;
  #services: Services | null = null;
  #wallet: WalletService | null = null;
  #vault: VoucherVault | null = null;
  #stopListening: (() => void)[] = [];
  #stream: MediaStream | null = null;
  /** The request waiting for an answer, if any. */
  request: PrivateRequestEvent | null = null;
  answering = false;
  status = '';
  rows: EarningsRow[] = [];
  unsettled: bigint | null = null;
  settling = false;
  earningsStatus = '';

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    this.view = new CallViewController(host);
    host.addController(this);
  }

  /** Opens the model's wallet (bound to the identity), the vault, and listens for requests. */
  async attach(services: Services): Promise<void> {
    this.#services = services;
    const session = services.session('model');
    this.#stopListening.push(
      session.listen('private:request', (r) => this.#onRequest(r)),
      session.listen('private:ended', (e) => { if (e.sessionId === this.request?.sessionId) this.#clearRequest('The client withdrew the request.'); }),
      session.listen('private:declined', (e) => { if (e.sessionId === this.request?.sessionId) this.#clearRequest('The request expired.'); }),
      session.events.on('login', () => void this.#syncVault()),
      session.listen('tip:voucher', (t) => void this.#keepTip(t)),
    );
    try {
      await session.login();
      const [wallet, { VoucherVault }] = await Promise.all([services.wallet('model'), import('../services/voucher-vault.ts')]);
      this.#wallet = wallet;
      this.#vault = new VoucherVault();
      if (!wallet.state?.bound) await wallet.bind();
      await this.#syncVault();
    } catch (err) {
      this.earningsStatus = messageFor(err);
    }
    this.#host.requestUpdate();
  }

  /** The model's price per minute and minimum minutes for private shows. */
  price: { pricePerMinute: bigint; minMinutes: number } | null = null;

  async setPrice(pricePerMinute: bigint, minMinutes: number): Promise<void> {
    if (!this.#services) return;
    try {
      const { entry } = await this.#services.session('model').request('model:setPrice', { pricePerMinute: pricePerMinute.toString(), minMinutes });
      this.price = { pricePerMinute: BigInt(entry.pricePerMinute), minMinutes: entry.minMinutes };
      this.status = pricePerMinute === 0n ? 'Private shows are off.' : `Private shows: ${formatAmount(pricePerMinute)} LIVE per minute, at least ${minMinutes} minute${minMinutes === 1 ? '' : 's'}.`;
    } catch (err) {
      this.status = messageFor(err);
    }
    this.#host.requestUpdate();
  }

  async accept(direct: boolean): Promise<void> {
    const r = this.request;
    if (!r || !this.#services || !this.#wallet || !this.#vault) return;
    this.answering = true;
    this.#host.requestUpdate();
    try {
      const session = this.#services.session('model');
      const { PrivateCall, voucherDomain, channel, floor, stream } = await (this.#preparing ?? this.#prepare(r));
      this.#preparing = null;
      this.#stream = stream;
      const identity = await session.identity();
      const call = new PrivateCall({
        role: 'model', signaling: session, identity, peerKey: r.client.key, localStream: this.#stream,
        domain: voucherDomain(this.#wallet.chain.chainId, this.#wallet.chain.channels),
        channel: { channelId: r.channelId, sender: channel.sender, deposit: channel.deposit }, baselineFloor: floor,
      });
      const vault = this.#vault;
      const receiver = this.#wallet.state!.address;
      const startedAt = Date.now();
      let tips = 0n;
      call.events.on('voucher', (v, info) => {
        tips += info.tip ?? 0n;
        void vault.keep(v, { sender: channel.sender, receiver }, info.via === 'signaling').then(() => vault.recordSession({
          sessionId: r.sessionId, channelId: r.channelId, peerPseudonym: r.client.pseudonym, startedAt,
          baseline: floor.toString(), highest: v.cumulativeAmount.toString(), pricePerMinute: r.pricePerMinute, tips: tips.toString(),
        })).then(() => this.refreshEarnings());
      });
      call.events.on('ended', () => {
        this.#stopCamera();
        void this.#syncVault();
      });
      this.view.follow(call, { local: this.#stream, peer: r.client.pseudonym, myKey: identity.publicKey, peerKey: r.client.key, deposit: channel.deposit - floor });
      this.request = null;
      await call.accept(r.sessionId, { direct });
    } catch (err) {
      this.status = messageFor(err);
      this.request = null;
      this.#stopCamera();
    }
    this.answering = false;
    this.#host.requestUpdate();
  }

  /** Prepared while the prompt is on screen: the accept itself then only answers. */
  #preparing: Promise<Prepared> | null = null;

  /** What accepting needs, done while the model reads the prompt: the client's key pinned, the channel read on-chain, the camera on. */
  async #prepare(r: PrivateRequestEvent): Promise<Prepared> {
    const wallet = this.#wallet!;
    const [{ PrivateCall }, { KeyPins }, { voucherDomain }] = await Promise.all([
      import('../services/private-call.ts'), import('../services/key-pins.ts'), import('../../contracts/voucher.ts'),
    ]);
    await new KeyPins().checkAnnounced(r.client);
    const latest = (await wallet.refresh()).block;
    const channel = await wallet.reader.getChannelById(r.channelId, Math.max(0, latest - LOG_WINDOW_BLOCKS));
    if (!channel || channel.state !== 'open') throw new ClientError('CHANNEL_INSUFFICIENT', 'the client has no open channel to this wallet');
    const kept = await this.#vault!.get(r.channelId);
    const floor = kept && BigInt(kept.cumulativeAmount) > channel.paid ? BigInt(kept.cumulativeAmount) : channel.paid;
    return { PrivateCall, voucherDomain, channel, floor, stream: await camera() };
  }

  /** Drops what was prepared for a request that will not be taken (its camera off). */
  #dropPrepared(): void {
    const preparing = this.#preparing;
    this.#preparing = null;
    void preparing?.then((p) => p.stream.getTracks().forEach((t) => t.stop()), () => undefined);
  }

  async decline(): Promise<void> {
    const r = this.request;
    if (!r || !this.#services) return;
    this.answering = true;
    try {
      await this.#services.session('model').request('private:decline', { sessionId: r.sessionId });
      this.status = `You declined ${r.client.pseudonym}.`;
    } catch (err) {
      this.status = messageFor(err);
    }
    this.answering = false;
    this.request = null;
    this.#dropPrepared();
    this.#host.requestUpdate();
  }

  /** The earnings table and the unsettled total, from the vault and the chain. */
  async refreshEarnings(): Promise<void> {
    const vault = this.#vault;
    const wallet = this.#wallet;
    if (!vault || !wallet) return;
    try {
      const sessions = await vault.sessions();
      this.rows = sessions.map((s) => ({ sessionId: s.sessionId, client: s.peerPseudonym, startedAt: s.startedAt, earned: BigInt(s.highest) - BigInt(s.baseline) }));
      this.unsettled = (await vault.unsettled(wallet.reader)).reduce((sum, u) => sum + u.unsettled, 0n);
    } catch (err) {
      this.earningsStatus = messageFor(err);
    }
    this.#host.requestUpdate();
  }

  /** Settles every unsettled voucher in one transaction (entries the chain would refuse are left out and named). */
  async settle(): Promise<void> {
    const vault = this.#vault;
    const wallet = this.#wallet;
    if (!vault || !wallet || this.settling) return;
    this.settling = true;
    this.earningsStatus = '';
    this.#host.requestUpdate();
    try {
      // The demo chain's faucet pays the gas of a wallet made here; elsewhere the model brings ETH.
      if ((await wallet.refresh()).eth === 0n && wallet.chain.faucet) await wallet.faucet();
      const report = await vault.settle(wallet.contracts);
      const total = report.settled.reduce((sum, e) => sum + BigInt(e.cumulativeAmount), 0n);
      const dropped = report.dropped.length ? ` ${report.dropped.length} could not be settled (${report.dropped.map((d) => messageFor(new PaymentError(d.code as PaymentErrorCode, d.reason))).join('; ')}).` : '';
      this.earningsStatus = report.tx ? `Settled ${report.settled.length} deposit${report.settled.length === 1 ? '' : 's'} (vouchers up to ${formatAmount(total)} LIVE).${dropped}` : `Nothing to settle.${dropped}`;
      await wallet.refresh();
    } catch (err) {
      this.earningsStatus = messageFor(err);
    }
    this.settling = false;
    await this.refreshEarnings();
  }

  hostDisconnected(): void {
    for (const off of this.#stopListening.splice(0)) off();
    this.#stopCamera();
  }

  #onRequest(r: PrivateRequestEvent): void {
    if (this.view.active && this.view.state !== 'ended') return; // busy: the server refuses a second call anyway
    this.#dropPrepared();
    this.request = r;
    this.status = '';
    if (this.#wallet && this.#vault) {
      this.#preparing = this.#prepare(r);
      this.#preparing.catch(() => undefined); // reported when the model accepts
    }
    ring();
    this.#host.requestUpdate();
  }

  #clearRequest(status: string): void {
    this.request = null;
    this.#dropPrepared();
    this.status = status;
    this.#host.requestUpdate();
  }

  /** A public show's tip: checked and kept in the vault (client/services/earnings.ts `keepTip`), then recounted. */
  async #keepTip(t: Parameters<ServerToClient['tip:voucher']>[0]): Promise<void> {
    const vault = this.#vault;
    const wallet = this.#wallet;
    if (!vault || !wallet?.state) return;
    try {
      const { keepTip } = await import('../services/earnings.ts');
      if (await keepTip(vault, wallet.reader, wallet.state.address, t)) await this.refreshEarnings();
    } catch (err) {
      this.earningsStatus = messageFor(err);
      this.#host.requestUpdate();
    }
  }

  /** Hands the server what only this browser holds, takes in what the server keeps (another device), then recounts. */
  async #syncVault(): Promise<void> {
    const vault = this.#vault;
    if (!vault || !this.#services) return;
    const session = this.#services.session('model');
    try {
      const { vouchers } = await session.request('vouchers:list', {});
      await vault.merge(vouchers);
      const info = session.info;
      if (info) await vault.syncToServer(session, info.key);
    } catch {
      // Signaling is away or does not keep vouchers: the vault still holds them; the next login tries again.
    }
    await this.refreshEarnings();
  }

  #stopCamera(): void {
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#stream = null;
  }
}

/** Two short tones: a request is waiting. */
function ring(): void {
  try {
    const audio = new AudioContext();
    for (const [at, freq] of [[0, 880], [0.25, 1175]] as const) {
      const osc = audio.createOscillator();
      const gain = audio.createGain();
      gain.gain.setValueAtTime(0.15, audio.currentTime + at);
      gain.gain.exponentialRampToValueAtTime(0.001, audio.currentTime + at + 0.2);
      osc.frequency.value = freq;
      osc.connect(gain).connect(audio.destination);
      osc.start(audio.currentTime + at);
      osc.stop(audio.currentTime + at + 0.2);
    }
    setTimeout(() => void audio.close(), 800);
  } catch {
    // No audio output: the prompt is still on screen.
  }
}
