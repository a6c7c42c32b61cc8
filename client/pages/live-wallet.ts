import { LitElement, css, html } from 'lit';
import type { ChannelView } from '../services/wallet.ts';
import { consumeServices } from '../context.ts';
import { WalletController } from '../controllers/wallet.ts';
import { formatAmount } from '../format.ts';
import { messageFor } from '../messages.ts';
import '../components/wallet-summary.ts';
import '../components/channel-panel.ts';

type Action = 'faucet' | 'bind' | 'use' | 'deposit' | 'close' | 'withdraw';

/** The client's wallet: balances, test funds, the link to the identity, and the deposit with one model. */
export class LiveWallet extends LitElement {
  static override properties = {
    model: { type: String },
    receiver: { state: true },
    modelName: { state: true },
    channel: { state: true },
    busy: { state: true },
    notice: { state: true },
    error: { state: true },
  };
  /** The model's identity key (from `#/wallet/<key>`); '' shows the wallet alone. */
  declare model: string;
  declare receiver: string;
  declare modelName: string;
  declare channel: ChannelView | null;
  declare busy: Action | '';
  declare notice: string;
  declare error: string;
  #services = consumeServices(this);
  #wallet = new WalletController(this, () => this.#services.value, () => void this.#loadChannel());

  static override styles = css`
    :host { display: block; max-width: 720px; }
    .panels { display: grid; gap: 16px; }
    .muted { color: #999; }
    [role='alert'] { color: #ff8fa3; }
    #notice:empty { margin: 0; }
    button { font: inherit; padding: 8px 16px; border-radius: 6px; border: 1px solid #555; background: #2c2c3d; color: #eee; cursor: pointer; min-height: 44px; }
    button:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
  `;

  constructor() {
    super();
    this.model = '';
    this.receiver = '';
    this.modelName = '';
    this.channel = null;
    this.busy = '';
    this.notice = '';
    this.error = '';
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('model')) {
      this.receiver = '';
      this.channel = null;
      void this.#loadChannel();
    }
  }

  async #loadChannel(): Promise<void> {
    const wallet = this.#wallet.wallet;
    if (!wallet || !this.model) return;
    try {
      if (!this.receiver) {
        const { pseudonymOf } = await import('../../crypto/identity.ts');
        this.modelName = await pseudonymOf(this.model);
        this.receiver = await wallet.receiverOf(this.model);
      }
      this.channel = await wallet.channel(this.receiver);
    } catch (err) {
      this.error = messageFor(err);
    }
  }

  async #run(action: Action, work: () => Promise<unknown>, done: () => string): Promise<void> {
    this.busy = action;
    this.error = '';
    this.notice = '';
    try {
      await work();
      await this.#loadChannel();
      this.notice = done();
    } catch (err) {
      this.error = messageFor(err);
    } finally {
      this.busy = '';
    }
  }

  #renderChannel() {
    if (!this.model) {
      return html`<p class="muted">To put down a deposit for a private show, open a model from <a href="#/">the directory</a> and choose “Deposit”.</p>`;
    }
    if (!this.channel) return html`<p class="muted" role="status">Loading your deposit with this model…</p>`;
    const wallet = this.#wallet.wallet!;
    return html`<channel-panel .channel=${this.channel} model=${this.modelName} busy=${this.busy}
      chain-time=${this.#wallet.state?.chainTime ?? 0} challenge-period-seconds=${wallet.chain.challengePeriodSeconds}
      @channel-deposit=${(e: CustomEvent<{ amount: bigint }>) => this.#run('deposit', () => wallet.deposit(this.receiver, e.detail.amount),
        () => `Deposit confirmed: ${formatAmount(this.channel?.deposit ?? 0n)} LIVE with ${this.modelName}.`)}
      @channel-close=${() => this.#run('close', () => wallet.requestClose(this.receiver), () => 'Close requested. You can withdraw the rest when the waiting period ends.')}
      @channel-withdraw=${() => this.#run('withdraw', () => wallet.withdraw(this.receiver), () => 'Withdrawn: the rest of your deposit is back in your wallet.')}
    ></channel-panel>`;
  }

  override render() {
    const { phase, state, wallet, error } = this.#wallet;
    return html`
      <h2>Wallet</h2>
      ${phase === 'loading' ? html`<p role="status" class="muted">Opening your wallet…</p>` : ''}
      ${phase === 'error' ? html`<p role="alert">${error}</p><button id="retry" @click=${() => this.#wallet.open()}>Try again</button>` : ''}
      ${phase === 'ready' && state && wallet ? html`
        <div class="panels">
          <wallet-summary .state=${state} ?faucet=${wallet.chain.faucet} ?injected-available=${wallet.injectedAvailable} busy=${this.busy}
            @wallet-faucet=${() => this.#run('faucet', () => wallet.faucet(), () => 'Test funds received.')}
            @wallet-bind=${() => this.#run('bind', () => wallet.bind(), () => 'Your wallet is now linked to your identity.')}
            @wallet-use=${(e: CustomEvent<{ kind: 'embedded' | 'injected' }>) => this.#run('use', () => wallet.use(e.detail.kind),
              () => e.detail.kind === 'injected' ? 'Now using your browser wallet.' : 'Now using the wallet made for you.')}
          ></wallet-summary>
          <p id="notice" role="status" aria-live="polite">${this.notice}</p>
          ${this.error ? html`<p id="error" role="alert">${this.error}</p>` : ''}
          ${this.#renderChannel()}
        </div>` : ''}`;
  }
}
customElements.define('live-wallet', LiveWallet);

declare global {
  interface HTMLElementTagNameMap { 'live-wallet': LiveWallet }
}
