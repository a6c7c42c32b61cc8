import { LitElement, css, html, nothing } from 'lit';
import type { WalletService } from '../services/wallet.ts';
import type { VoucherVault } from '../services/voucher-vault.ts';
import type { EarningsReport } from '../services/earnings.ts';
import { PaymentError, type PaymentErrorCode } from '../../contracts/errors.ts';
import { consumeServices } from '../context.ts';
import { formatAmount } from '../format.ts';
import { messageFor } from '../messages.ts';
import type { EarningsSettleDetail } from '../components/earnings-history.ts';
import '../components/earnings-history.ts';

/**
 * The model's earnings (`#/earnings`): every private show and tip this browser kept, merged with what the server
 * keeps for the model's wallet (another device), against the chain's settlements; settle all or one deposit.
 * Loads the wallet (ethers) and the vault on first visit.
 */
export class LiveEarnings extends LitElement {
  static override properties = {
    report: { state: true }, busy: { state: true }, status: { state: true }, error: { state: true }, address: { state: true },
  };
  declare report: EarningsReport | null;
  declare busy: boolean;
  /** The last settlement's result, in plain words. */
  declare status: string;
  declare error: string;
  /** The model's wallet, which settlements pay. */
  declare address: string;
  #services = consumeServices(this);
  #wallet: WalletService | null = null;
  #vault: VoucherVault | null = null;
  #earnings: typeof import('../services/earnings.ts') | null = null;
  #stopListening: (() => void)[] = [];
  #refreshing: Promise<void> | null = null;
  #again = false;

  static override styles = css`
    :host { display: block; max-width: 1000px; }
    a { color: #8ab4ff; }
    [role='alert'] { color: #ff8fa3; }
    .muted { color: #aaa; }
    code { word-break: break-all; }
  `;

  constructor() {
    super();
    this.report = null;
    this.busy = false;
    this.status = '';
    this.error = '';
    this.address = '';
  }

  override connectedCallback(): void {
    super.connectedCallback();
    void this.#start();
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    for (const off of this.#stopListening.splice(0)) off();
    this.#vault?.close();
    this.#vault = null;
  }

  async #start(): Promise<void> {
    await this.updateComplete;
    const services = this.#services.value;
    if (!services || this.#vault) return;
    try {
      const session = services.session('model');
      await session.login();
      const [wallet, { VoucherVault }, earnings] = await Promise.all([
        services.wallet('model'), import('../services/voucher-vault.ts'), import('../services/earnings.ts'),
      ]);
      this.#wallet = wallet;
      this.#vault = new VoucherVault();
      this.#earnings = earnings;
      if (!wallet.state?.bound) await wallet.bind();
      this.address = wallet.state!.address;
      this.#stopListening.push(
        session.listen('tip:voucher', (t) => void this.#keepTip(t)),
        session.events.on('login', () => void this.#sync()),
      );
      await this.#sync();
    } catch (err) {
      this.error = messageFor(err);
    }
  }

  async #keepTip(t: Parameters<typeof import('../services/earnings.ts').keepTip>[3]): Promise<void> {
    if (!this.#vault || !this.#wallet || !this.#earnings) return;
    try {
      if (await this.#earnings.keepTip(this.#vault, this.#wallet.reader, this.address, t)) await this.#refresh();
    } catch (err) {
      this.error = messageFor(err);
    }
  }

  /** Takes in what the server keeps (another device's calls), hands it what only this browser holds, recounts. */
  async #sync(): Promise<void> {
    const vault = this.#vault;
    const session = this.#services.value?.session('model');
    if (!vault || !session) return;
    try {
      const { vouchers } = await session.request('vouchers:list', {});
      await vault.merge(vouchers);
      if (session.info) await vault.syncToServer(session, session.info.key);
    } catch {
      // Signaling is away: the vault still holds every voucher this browser got.
    }
    await this.#refresh();
  }

  /** One recount at a time; a call while one runs asks for one more after it. */
  #refresh(): Promise<void> {
    if (this.#refreshing) {
      this.#again = true;
      return this.#refreshing;
    }
    this.#refreshing = (async () => {
      do {
        this.#again = false;
        await this.#recount();
      } while (this.#again);
    })().finally(() => { this.#refreshing = null; });
    return this.#refreshing;
  }

  async #recount(): Promise<void> {
    const vault = this.#vault;
    const wallet = this.#wallet;
    const earnings = this.#earnings;
    if (!vault || !wallet || !earnings) return;
    try {
      const [sessions, channels] = await Promise.all([vault.sessions(), vault.unsettled(wallet.reader)]);
      const settlements = await earnings.readSettlements(wallet.reader, this.address, channels.map((c) => c.channelId));
      this.report = earnings.aggregateEarnings({ sessions, channels, settlements, feeBps: wallet.chain.feeBps });
      this.error = '';
    } catch (err) {
      this.error = messageFor(err);
    }
  }

  #settle = async (e: CustomEvent<EarningsSettleDetail>): Promise<void> => {
    const vault = this.#vault;
    const wallet = this.#wallet;
    if (!vault || !wallet || this.busy) return;
    this.busy = true;
    this.status = '';
    try {
      // The demo chain's faucet pays the gas of a wallet made here; elsewhere the model brings ETH.
      if ((await wallet.refresh()).eth === 0n && wallet.chain.faucet) await wallet.faucet();
      const report = await vault.settle(wallet.contracts, e.detail.channelIds ?? undefined);
      const total = report.settled.reduce((sum, entry) => sum + BigInt(entry.cumulativeAmount), 0n);
      const dropped = report.dropped.length
        ? ` ${report.dropped.length} could not be settled (${report.dropped.map((d) => messageFor(new PaymentError(d.code as PaymentErrorCode, d.reason))).join('; ')}).` : '';
      this.status = report.tx
        ? `Settled ${report.settled.length} deposit${report.settled.length === 1 ? '' : 's'} (vouchers up to ${formatAmount(total)} LIVE) in transaction ${report.tx.hash}.${dropped}`
        : `Nothing to settle.${dropped}`;
      await wallet.refresh();
    } catch (err) {
      this.status = messageFor(err);
    }
    this.busy = false;
    await this.#refresh();
  };

  override render() {
    return html`
      <h2>Earnings</h2>
      ${this.address ? html`<p class="muted">Paid to your wallet <code id="earnings-wallet">${this.address}</code>. Amounts are in LIVE, to the last unit;
        the platform fee is taken when a deposit is settled.</p>` : nothing}
      ${this.error ? html`<p role="alert" id="earnings-error">${this.error}</p>` : nothing}
      <earnings-history .report=${this.report} ?busy=${this.busy} status=${this.status} @earnings-settle=${this.#settle}></earnings-history>
      <p><a href="#/studio">Back to the studio</a></p>`;
  }
}
customElements.define('live-earnings', LiveEarnings);

declare global {
  interface HTMLElementTagNameMap { 'live-earnings': LiveEarnings }
}
