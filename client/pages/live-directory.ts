import { LitElement, css, html } from 'lit';
import type { DirectoryEntry } from '../../signaling/protocol.ts';
import { consumeServices } from '../context.ts';
import { SubscriptionController } from '../controllers/subscription.ts';
import { messageFor } from '../messages.ts';
import '../components/identity-badge.ts';
import { KeyPins } from '../services/key-pins.ts';
import { pseudonymFor } from '../services/key-visual.ts';

/** Who is live now, updated as models go live, change price or end. Read without logging in. */
export class LiveDirectory extends LitElement {
  static override properties = { models: { state: true }, error: { state: true }, loading: { state: true }, pinned: { state: true } };
  declare models: DirectoryEntry[];
  declare error: string;
  declare loading: boolean;
  /** Keys this browser pinned for the listed pseudonyms (a different one marks a lookalike), by listed key. */
  declare pinned: Map<string, string>;
  #services = consumeServices(this);
  #pins = new KeyPins();

  static override styles = css`
    ul { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; }
    li a { display: block; padding: 16px; border-radius: 8px; background: #1f1f2b; color: inherit; text-decoration: none; }
    li a:hover, li a:focus-visible { background: #2c2c3d; }
    li a.deposit { display: inline-block; margin-top: 4px; padding: 6px 12px; background: none; color: #8ab4ff; }
    .live { color: #ff4d6d; font-weight: bold; }
    .muted { color: #999; }
    .new { color: #ffd166; font-weight: bold; }
    p.muted a { color: #8ab4ff; }
  `;

  constructor() {
    super();
    this.models = [];
    this.error = '';
    this.loading = true;
    this.pinned = new Map();
    new SubscriptionController(this, () => {
      const session = this.#services.value!.session('client');
      // A reconnected socket is a new one on the server: subscribe again.
      let dropped = false;
      const resubscribe = session.events.on('state', (state) => {
        if (state === 'offline') dropped = true;
        if (state === 'online' && dropped) void this.#subscribe();
      });
      const updates = session.listen('directory:update', this.#onUpdate);
      void this.#subscribe();
      return [resubscribe, updates, () => void session.request('directory:unsubscribe', {}).catch(() => undefined)];
    });
  }

  #onUpdate = (entry: DirectoryEntry) => {
    const others = this.models.filter((m) => m.key !== entry.key);
    this.models = byRank(entry.status === 'offline' ? others : [...others, entry]);
    void this.#lookUpPins();
  };

  async #lookUpPins(): Promise<void> {
    const pinned = new Map<string, string>();
    for (const m of this.models) {
      // A key the server lists may be malformed: it gets no pin (the badge says it is invalid).
      const pin = await Promise.resolve().then(() => this.#pins.lookup(pseudonymFor(m.key))).catch(() => undefined);
      if (pin) pinned.set(m.key, pin.key);
    }
    this.pinned = pinned;
  }

  async #subscribe(): Promise<void> {
    try {
      const { models } = await this.#services.value!.session('client').request('directory:subscribe', {});
      this.models = byRank(models.filter((m) => m.status !== 'offline'));
      this.error = '';
      void this.#lookUpPins();
    } catch (err) {
      this.error = messageFor(err);
    } finally {
      this.loading = false;
    }
  }

  override render() {
    const live = this.models.filter((m) => m.status === 'public' && m.showId);
    return html`
      <h2>Live now</h2>
      ${this.error ? html`<p role="alert">${this.error}</p>` : ''}
      ${this.loading ? html`<p class="muted" role="status">Loading who is live…</p>` : ''}
      ${!this.loading && live.length === 0 ? html`<p class="muted">Nobody is live right now. Open <a href="#/studio">Go live</a> in another tab to start a show.</p>` : ''}
      <p class="muted">Ordered by a score anyone can recompute from the chain: <a href="#/rating">how the ranking works</a>.</p>
      <ul>
        ${live.map((m) => html`<li><a href="#/watch/${m.key}" data-model=${m.key}>
          <span class="live">● LIVE</span> <identity-badge compact public-key=${m.key} pinned-key=${this.pinned.get(m.key) ?? ''}></identity-badge><br>
          <span class="muted">${m.viewers} watching</span>
          ${m.rating ? html`<br><span class="score" data-score=${m.rating.rankScore}>Score ${m.rating.score.toFixed(2)}${m.rating.isNew ? html` <span class="new">NEW</span>` : ''}</span>` : ''}</a>
          <a class="deposit" href="#/wallet/${m.key}" aria-label="Deposit for a private show with ${m.pseudonym}">Deposit</a></li>`)}
      </ul>`;
  }
}
/** The server's order (contracts/rating.ts compareRatings), kept as updates arrive; unrated entries keep theirs. */
function byRank(models: DirectoryEntry[]): DirectoryEntry[] {
  const rank = (m: DirectoryEntry) => m.rating?.rankScore ?? -1;
  const tie = (m: DirectoryEntry) => m.rating?.wallet ?? `~${m.key}`;
  return [...models].sort((a, b) => rank(b) - rank(a) || (tie(a) < tie(b) ? -1 : tie(a) > tie(b) ? 1 : 0));
}

customElements.define('live-directory', LiveDirectory);

declare global {
  interface HTMLElementTagNameMap { 'live-directory': LiveDirectory }
}
