import { LitElement, css, html } from 'lit';
import { LIMITS, type ChatMessage } from '../../signaling/protocol.ts';

/** Detail of `chat-send`. */
export interface ChatSendDetail { text: string }

/**
 * A show's public chat. Messages are rendered as text, never as HTML.
 *
 * @fires chat-send - the person submitted a message; detail `{ text }` (trimmed, never empty)
 */
export class LiveChat extends LitElement {
  static override properties = { messages: { attribute: false }, error: { type: String } };
  /** Messages to show, oldest first. */
  declare messages: ChatMessage[];
  /** Plain words of the last failure, shown as an alert; '' for none. */
  declare error: string;

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

  #send(event: SubmitEvent): void {
    event.preventDefault();
    const input = this.renderRoot.querySelector('input')!;
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    this.dispatchEvent(new CustomEvent<ChatSendDetail>('chat-send', { detail: { text }, bubbles: true, composed: true }));
  }

  override render() {
    return html`
      <ol aria-label="Chat messages" aria-live="polite">${this.messages.map((m) => html`<li class=${m.kind}>
        ${m.kind === 'system' ? m.text : html`<span class="from">${m.from.pseudonym}</span>${m.text}`}</li>`)}</ol>
      <form @submit=${this.#send}><input maxlength=${LIMITS.chatMaxLength} placeholder="Say something" aria-label="Chat message"><button>Send</button></form>
      ${this.error ? html`<p role="alert">${this.error}</p>` : ''}`;
  }
}
customElements.define('live-chat', LiveChat);

declare global {
  interface HTMLElementTagNameMap { 'live-chat': LiveChat }
  interface HTMLElementEventMap { 'chat-send': CustomEvent<ChatSendDetail> }
}
