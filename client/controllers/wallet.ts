/**
 * The client's wallet for a page: opened on first connect (loading ethers then, not before), followed while the
 * page is connected (every change and every new block re-renders it), let go on disconnect.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { WalletService, WalletState } from '../services/wallet.ts';
import type { Services } from '../services/services.ts';
import { messageFor } from '../messages.ts';

export type WalletPhase = 'loading' | 'ready' | 'error';

export class WalletController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  readonly #services: () => Services | undefined;
  readonly #onChange: ((state: WalletState) => void) | undefined;
  #ends: (() => void)[] = [];
  #connected = false;
  phase: WalletPhase = 'loading';
  /** Plain words of why the wallet did not open. */
  error = '';
  wallet: WalletService | null = null;
  state: WalletState | null = null;

  /** `services` is read on connect (it comes by context); `onChange` runs after each new state. */
  constructor(host: ReactiveControllerHost, services: () => Services | undefined, onChange?: (state: WalletState) => void) {
    this.#host = host;
    this.#services = services;
    this.#onChange = onChange;
    host.addController(this);
  }

  hostConnected(): void {
    this.#connected = true;
    void this.open();
  }

  hostDisconnected(): void {
    this.#connected = false;
    for (const end of this.#ends.splice(0)) end();
  }

  /** Opens (or retries opening) the wallet and follows it. */
  async open(): Promise<void> {
    this.phase = 'loading';
    this.#host.requestUpdate();
    try {
      const wallet = await this.#services()!.wallet();
      if (!this.#connected) return;
      this.wallet = wallet;
      this.#ends.push(wallet.events.on('change', (state) => this.#changed(state)), wallet.watch());
      this.phase = 'ready';
      this.#changed(wallet.state ?? await wallet.refresh());
    } catch (err) {
      this.phase = 'error';
      this.error = messageFor(err);
      this.#host.requestUpdate();
    }
  }

  #changed(state: WalletState): void {
    this.state = state;
    this.#onChange?.(state);
    this.#host.requestUpdate();
  }
}
