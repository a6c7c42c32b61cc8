import { LitElement, css, html } from 'lit';
import type { ChatMessage } from '../../signaling/protocol.ts';
import type { Connection } from '../lib/connection.ts';

/** A show's public chat. Messages are rendered as text, never as HTML. */
export class LiveChat extends LitElement {
  static override properties = { messages: { state: true }, error: { state: true } };
  declare messages: ChatMessage[];
  declare error: string;
  /** The connection to send through; set by the page. */
  connection: Connection | null = null;
  /** The show this chat belongs to. */
  showId = '';

  static override styles = css`
    :host { display: flex; flex-direction: column; gap: 8px; min-width: 260px; }
    ol { list-style: none; padding: 0; margin: 0; height: 300px; overflow-y: auto; background: #15151d; border-radius: 8px; }
    li { padding: 4px 8px; word-break: break-word; }
    .from { color: #8ab4ff; margin-right: 6px; }
    .system { color: #999; font-style: italic; }
    form { display: flex; gap: 4px; }
    input { flex: 1; }
  `;

  constructor() {
    super();
    this.messages = [];
    this.error = '';
  }

  #onMessage = (m: ChatMessage) => {
    if (m.showId !== this.showId) return;
    this.messages = [...this.messages.slice(-199), m];
  };

  override connectedCallback(): void {
    super.connectedCallback();
    this.connection?.socket.on('chat:message', this.#onMessage);
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    this.connection?.socket.off('chat:message', this.#onMessage);
  }

  async #send(event: SubmitEvent): Promise<void> {
    event.preventDefault();
    const input = this.renderRoot.querySelector('input')!;
    const text = input.value.trim();
    if (!text || !this.connection) return;
    try {
      await this.connection.request('chat:send', { showId: this.showId, text });
      input.value = '';
      this.error = '';
    } catch (err) {
      this.error = (err as Error).message;
    }
  }

  override render() {
    return html`
      <ol>${this.messages.map((m) => html`<li class=${m.kind}>
        ${m.kind === 'system' ? m.text : html`<span class="from">${m.from.pseudonym}</span>${m.text}`}</li>`)}</ol>
      <form @submit=${this.#send}><input maxlength="500" placeholder="Say something" aria-label="Chat message"><button>Send</button></form>
      ${this.error ? html`<p role="alert">${this.error}</p>` : ''}`;
  }
}
customElements.define('live-chat', LiveChat);
