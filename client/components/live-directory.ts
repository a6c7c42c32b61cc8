import { LitElement, css, html } from 'lit';
import type { DirectoryEntry } from '../../signaling/protocol.ts';
import { session } from '../lib/session.ts';

/** Who is live now, updated as models go live, change price or end. */
export class LiveDirectory extends LitElement {
  static override properties = { models: { state: true }, error: { state: true } };
  declare models: DirectoryEntry[];
  declare error: string;

  static override styles = css`
    ul { list-style: none; padding: 0; display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 12px; }
    li a { display: block; padding: 16px; border-radius: 8px; background: #1f1f2b; color: inherit; text-decoration: none; }
    li a:hover { background: #2c2c3d; }
    .live { color: #ff4d6d; font-weight: bold; }
    .muted { color: #999; }
  `;

  constructor() {
    super();
    this.models = [];
    this.error = '';
  }

  #onUpdate = (entry: DirectoryEntry) => {
    const others = this.models.filter((m) => m.key !== entry.key);
    this.models = entry.status === 'offline' ? others : [...others, entry];
  };

  override async connectedCallback(): Promise<void> {
    super.connectedCallback();
    try {
      const connection = await session('client');
      connection.socket.on('directory:update', this.#onUpdate);
      const { models } = await connection.request('directory:subscribe', {});
      this.models = models.filter((m) => m.status !== 'offline');
    } catch (err) {
      this.error = `Cannot load the directory: ${(err as Error).message}`;
    }
  }

  override async disconnectedCallback(): Promise<void> {
    super.disconnectedCallback();
    const connection = await session('client').catch(() => null);
    connection?.socket.off('directory:update', this.#onUpdate);
    await connection?.request('directory:unsubscribe', {}).catch(() => undefined);
  }

  override render() {
    const live = this.models.filter((m) => m.status === 'public' && m.showId);
    return html`
      <h2>Live now</h2>
      ${this.error ? html`<p role="alert">${this.error}</p>` : ''}
      ${live.length === 0 ? html`<p class="muted">Nobody is live right now. Open <a href="#/studio">Go live</a> in another tab to start a show.</p>` : ''}
      <ul>
        ${live.map((m) => html`<li><a href="#/watch/${m.key}" data-model=${m.key}>
          <span class="live">● LIVE</span> ${m.pseudonym}<br>
          <span class="muted">${m.viewers} watching</span></a></li>`)}
      </ul>`;
  }
}
customElements.define('live-directory', LiveDirectory);
