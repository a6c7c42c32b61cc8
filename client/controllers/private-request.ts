/**
 * The client's side of a private show on the watch page: the model's terms (from the directory), the deposit
 * with this model (from the wallet), the request, and then the call itself (shown through CallViewController).
 * The model's key comes from the page's link (`#/watch/<key>`) and is pinned; the call code, ethers and
 * libsodium load only when the person asks.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { DirectoryEntry } from '../../signaling/protocol.ts';
import type { Services } from '../services/services.ts';
import type { WalletService } from '../services/wallet.ts';
import type { OfferDeposit } from '../components/private-offer.ts';
import { ClientError } from '../errors.ts';
import { messageFor } from '../messages.ts';
import { CallViewController } from './call-view.ts';

export class PrivateRequestController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly view: CallViewController;
  #services: Services | null = null;
  #modelKey = '';
  #wallet: WalletService | null = null;
  #receiver = '';
  #stream: MediaStream | null = null;
  #stopDirectory: (() => void) | null = null;
  /** The model as the directory shows it (price, minimum), or null while unknown. */
  entry: DirectoryEntry | null = null;
  deposit: OfferDeposit | null = null;
  status = '';
  pending = false;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    this.view = new CallViewController(host);
    host.addController(this);
  }

  /** Follows `modelKey`'s terms and the deposit with them. */
  async attach(services: Services, modelKey: string): Promise<void> {
    this.#services = services;
    this.#modelKey = modelKey;
    const session = services.session('client');
    this.#stopDirectory = session.listen('directory:update', (e) => {
      if (e.key === modelKey) { this.entry = e; this.#host.requestUpdate(); }
    });
    try {
      const { models } = await session.request('directory:subscribe', {});
      this.entry = models.find((m) => m.key === modelKey) ?? this.entry;
    } catch (err) {
      this.status = messageFor(err);
    }
    this.#host.requestUpdate();
    await this.refreshDeposit();
  }

  /** Reads the deposit with this model again (after a top-up in the wallet, say). */
  async refreshDeposit(): Promise<void> {
    try {
      this.#wallet ??= await this.#services!.wallet();
      this.#receiver = await this.#wallet.receiverOf(this.#modelKey);
      const ch = await this.#wallet.channel(this.#receiver);
      const open = ch.state === 'open';
      this.deposit = { open, available: open ? ch.refundable : 0n };
    } catch (err) {
      this.deposit = { open: false, available: 0n };
      this.status = messageFor(err);
    }
    this.#host.requestUpdate();
  }

  async request(direct: boolean): Promise<void> {
    const entry = this.entry;
    if (!entry || !this.#services) return;
    this.status = 'Asking the model…';
    this.pending = true;
    this.#host.requestUpdate();
    try {
      const session = this.#services.session('client');
      const info = await session.login();
      const wallet = this.#wallet ?? await this.#services.wallet();
      if (!wallet.state?.bound) await wallet.bind();
      const ch = await wallet.channel(this.#receiver || await wallet.receiverOf(this.#modelKey));
      const minimum = BigInt(entry.pricePerMinute) * BigInt(entry.minMinutes);
      if (ch.state !== 'open' || ch.refundable < minimum) throw new ClientError('CHANNEL_INSUFFICIENT', 'the deposit does not cover the minimum');
      const [{ PrivateCall }, { KeyPins }, { voucherDomain }] = await Promise.all([
        import('../services/private-call.ts'), import('../services/key-pins.ts'), import('../../contracts/voucher.ts'),
      ]);
      // The key in the link is the one that counts; the server's word must match it.
      await new KeyPins().pin(this.#modelKey, 'link');
      this.#stream = await camera();
      const identity = await session.identity();
      const call = new PrivateCall({
        role: 'client', signaling: session, identity, peerKey: this.#modelKey, localStream: this.#stream,
        domain: voucherDomain(wallet.chain.chainId, wallet.chain.channels),
        channel: { channelId: ch.channelId, sender: ch.sender, deposit: ch.deposit },
        signVoucher: (channelId, amount) => wallet.signVoucher(channelId, amount),
      });
      call.events.on('state', (s) => {
        if (s === 'connecting' || s === 'connected') { this.pending = false; this.status = ''; }
        this.#host.requestUpdate();
      });
      call.events.on('ended', () => {
        this.pending = false;
        this.#stopCamera();
        void this.refreshDeposit();
      });
      this.view.follow(call, { local: this.#stream, peer: entry.pseudonym, myKey: info.key, peerKey: this.#modelKey, deposit: ch.refundable });
      await call.request({ model: this.#modelKey, pricePerMinute: BigInt(entry.pricePerMinute), minMinutes: entry.minMinutes, direct });
      this.status = `Waiting for ${entry.pseudonym} to answer…`;
    } catch (err) {
      this.pending = false;
      this.status = messageFor(err);
      this.view.dismiss();
      this.#stopCamera();
    }
    this.#host.requestUpdate();
  }

  cancel(): void {
    this.view.end();
    this.view.dismiss();
    this.pending = false;
    this.status = 'Request withdrawn.';
    this.#host.requestUpdate();
  }

  hostDisconnected(): void {
    this.#stopDirectory?.();
    this.#stopCamera();
  }

  #stopCamera(): void {
    this.#stream?.getTracks().forEach((t) => t.stop());
    this.#stream = null;
  }
}

/** Camera and microphone, or CAMERA_UNAVAILABLE in plain words. */
export async function camera(): Promise<MediaStream> {
  try {
    return await navigator.mediaDevices.getUserMedia({ video: { width: 1280, height: 720 }, audio: true });
  } catch (cause) {
    throw new ClientError('CAMERA_UNAVAILABLE', 'no camera or microphone', { cause });
  }
}
