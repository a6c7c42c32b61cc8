/**
 * A show's tips for the watch page: the model's tip menu and goal (`tips:get`, then the `tips:menu` / `tips:goal`
 * pushes to the show), and tipping: the browser checks its deposit with the model, signs the voucher for what it
 * already committed plus the tip (the wallet loads ethers on the first tip only), and sends it with `chat:tip`.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { TipGoal, TipMenuItem } from '../../signaling/protocol.ts';
import type { Services } from '../services/services.ts';
import type { Session } from '../services/session.ts';
import { ClientError, toClientError } from '../errors.ts';
import { messageFor } from '../messages.ts';
import { formatAmount } from '../format.ts';

export class TipsController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  #session: Session | null = null;
  #services: Services | null = null;
  #model = '';
  #showId = '';
  #stop: (() => void)[] = [];
  menu: TipMenuItem[] = [];
  goal: TipGoal | null = null;
  /** A tip on its way. */
  busy = false;
  /** What the last tip did, in plain words ('' for nothing yet). */
  status = '';
  /** The last tip failed for want of a deposit: the page offers the wallet. */
  needsDeposit = false;

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  /** Follows `model`'s menu and goal in `showId` (a new show reads them again). */
  async attach(services: Services, session: Session, model: string, showId: string): Promise<void> {
    this.#detach();
    this.#services = services;
    this.#session = session;
    this.#model = model;
    this.#showId = showId;
    this.#stop.push(
      session.listen('tips:menu', (e) => { if (e.model === this.#model) { this.menu = e.menu; this.#host.requestUpdate(); } }),
      session.listen('tips:goal', (e) => { if (e.model === this.#model) { this.goal = e.goal; this.#host.requestUpdate(); } }),
    );
    try {
      const { menu, goal } = await session.request('tips:get', { model });
      if (this.#showId !== showId) return;
      this.menu = menu;
      this.goal = goal;
    } catch (err) {
      this.status = messageFor(err);
    }
    this.#host.requestUpdate();
  }

  /** Tips `amount` (base units), for the menu action `item` when given. */
  async tip(amount: bigint, item?: string): Promise<void> {
    const session = this.#session;
    const services = this.#services;
    if (!session || !services || !this.#showId || this.busy) return;
    this.busy = true;
    this.status = 'Sending your tip…';
    this.needsDeposit = false;
    this.#host.requestUpdate();
    try {
      if (amount <= 0n) throw new ClientError('BAD_AMOUNT', 'a tip must be above zero');
      const wallet = await services.wallet('client');
      const receiver = await wallet.receiverOf(this.#model);
      const channel = await wallet.channel(receiver);
      if (channel.state === 'none') throw new ClientError('CHANNEL_NOT_OPEN', 'no deposit with this model');
      if (channel.state !== 'open') throw new ClientError('CHANNEL_CLOSING', 'the deposit is closing');
      if (channel.refundable < amount) throw new ClientError('CHANNEL_INSUFFICIENT', `${channel.refundable} left, ${amount} asked`);
      const voucher = await wallet.signVoucher(channel.channelId, channel.committed + amount);
      const reply = await session.request('chat:tip', { showId: this.#showId, voucher: { channelId: voucher.channelId, cumulativeAmount: voucher.cumulativeAmount.toString(), signature: voucher.signature }, ...(item ? { item } : {}) });
      this.status = `Thank you: ${formatAmount(BigInt(reply.amount))} LIVE sent${item ? ` for ${item}` : ''}.`;
    } catch (err) {
      const e = toClientError(err);
      this.needsDeposit = ['CHANNEL_NOT_OPEN', 'CHANNEL_INSUFFICIENT', 'CHANNEL_CLOSING', 'WALLET_NOT_BOUND'].includes(e.code);
      this.status = messageFor(e);
    }
    this.busy = false;
    this.#host.requestUpdate();
  }

  #detach(): void {
    for (const off of this.#stop.splice(0)) off();
    this.menu = [];
    this.goal = null;
    this.status = '';
    this.needsDeposit = false;
  }

  hostDisconnected(): void {
    for (const off of this.#stop.splice(0)) off();
  }
}
