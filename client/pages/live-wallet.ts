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
    channelError: { state: true },
    deposits: { state: true },
    busy: { state: true },
    notice: { state: true },
    error: { state: true },
  };
  /** The model's identity key (from `#/wallet/<key>`); '' shows the wallet alone. */
  declare model: string;
  declare receiver: string;
  declare modelName: string;
  declare channel: ChannelView | null;
  /** Why the deposit with this model cannot be shown ('' when it can). */
  declare channelError: string;
  /** Without a model: every deposit this wallet has that is still open or closing. */
  declare deposits: { key: string; name: string; channel: ChannelView }[] | null;
  declare busy: Action | '';
  declare notice: string;
  declare error: string;
  #services = consumeServices(this);
  /** The lookup of this model's wallet, shared by the loads that overlap (route change and first wallet state). */
  #receiver: Promise<string> | null = null;
  #wallet = new WalletController(this, () => this.#services.value, () => void this.#loadChannel());

  static override styles = css`
    :host { display: block; max-width: 720px; }
    a { color: #8ab4ff; }
    .panels { display: grid; gap: 16px; }
    .muted { color: #999; }
    [role='alert'] { color: #ff8fa3; }
    #notice:empty { margin: 0; }
    h3 { margin: 0; font-size: 1.1em; }
    ul.deposits { margin: 0; padding-left: 20px; line-height: 1.8; }
    button { font: inherit; padding: 8px 16px; border-radius: 6px; border: 1px solid #555; background: #2c2c3d; color: #eee; cursor: pointer; min-height: 44px; }
    button:focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
  `;

  constructor() {
    super();
    this.model = '';
    this.receiver = '';
    this.modelName = '';
    this.channel = null;
    this.channelError = '';
    this.deposits = null;
    this.busy = '';
    this.notice = '';
    this.error = '';
  }

  override updated(changed: Map<string, unknown>): void {
    if (changed.has('model')) {
      this.receiver = '';
      this.#receiver = null;
      this.channel = null;
      this.deposits = null;
      void this.#loadChannel();
    }
  }

  async #loadChannel(): Promise<void> {
    const wallet = this.#wallet.wallet;
    if (!wallet) return;
    if (!this.model) return this.#loadDeposits();
    try {
      if (!this.receiver) {
        const model = this.model;
        this.#receiver ??= (async () => {
          const { pseudonymOf } = await import('../../crypto/identity.ts');
          this.modelName = await pseudonymOf(model);
          return wallet.receiverOf(model);
        })();
        const pending = this.#receiver;
        pending.catch(() => { if (this.#receiver === pending) this.#receiver = null; });
        const receiver = await pending;
        if (model !== this.model) return;
        this.receiver = receiver;
      }
      this.channel = await wallet.channel(this.receiver);
      this.channelError = '';
    } catch (err) {
      this.channelError = messageFor(err);
    }
  }

  async #loadDeposits(): Promise<void> {
    const wallet = this.#wallet.wallet!;
    try {
      const { pseudonymOf } = await import('../../crypto/identity.ts');
      const known = Object.entries(await wallet.knownReceivers());
      const all = await Promise.all(known.map(async ([key, address]) =>
        ({ key, name: await pseudonymOf(key), channel: await wallet.channel(address) })));
      this.deposits = all.filter((d) => d.channel.state === 'open' || d.channel.state === 'closing');
      this.channelError = '';
    } catch (err) {
      this.channelError = messageFor(err);
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

  #renderDeposits() {
    if (this.channelError) return html`<p role="alert">${this.channelError}</p>`;
    if (!this.deposits) return html`<p class="muted" role="status">Loading your deposits…</p>`;
    const hint = html`<p class="muted">To put down a deposit for a private show, open a model from <a href="#/">the directory</a> and choose “Deposit”.</p>`;
    if (this.deposits.length === 0) return html`<p id="no-deposits" class="muted">You have no deposit with any model.</p>${hint}`;
    return html`
      <h3>Your deposits</h3>
      <ul class="deposits">${this.deposits.map((d) => html`<li><a href="#/wallet/${d.key}">${d.name}</a>:
        ${formatAmount(d.channel.deposit)} LIVE${d.channel.state === 'closing' ? ' (closing)' : ''}</li>`)}</ul>${hint}`;
  }

  #renderChannel() {
    if (!this.model) return this.#renderDeposits();
    if (this.channelError) {
      return html`<p role="alert" id="channel-error">${this.channelError}</p>
        <button @click=${() => { this.channelError = ''; void this.#loadChannel(); }}>Try again</button>`;
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
