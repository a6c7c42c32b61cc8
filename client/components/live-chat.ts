import { LitElement, css, html, nothing } from 'lit';
import { LIMITS, type ChatMessage } from '../../signaling/protocol.ts';
import type { ChatModeration } from '../controllers/chat.ts';
import { formatDuration } from '../format.ts';

/** Detail of `chat-send`. */
export interface ChatSendDetail { text: string }
/** Detail of `chat-mute`. */
export interface ChatMuteDetail { target: string; seconds: number }
/** Detail of `chat-ban`. */
export interface ChatBanDetail { target: string }
/** Detail of `chat-slow-mode`. */
export interface ChatSlowModeDetail { seconds: number }

/** The mute lengths the model picks from, seconds. */
export const MUTE_CHOICES: readonly number[] = [60, 300, 600, 3600, 86_400].filter((s) => s <= LIMITS.muteMaxSeconds);
/** The slow-mode settings the model picks from, seconds (0: off). */
export const SLOW_MODE_CHOICES: readonly number[] = [0, 5, 10, 30, 60, 120, 300].filter((s) => s <= LIMITS.slowModeMaxSeconds);

const NO_MODERATION: ChatModeration = { moderator: false, selfKey: '', slowModeSeconds: 0, mutedUntil: 0, banned: false, nextSendAt: 0 };

const clock = (ms: number): string => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit' });

/**
 * A show's public chat. Messages are rendered as text, never as HTML. For the show's model each other author
 * gets actions (mute for a chosen time, ban) and the chat a slow-mode selector; a viewer sees their own mute
 * (until when), ban and the slow-mode countdown before the next message.
 *
 * @fires chat-send - the person submitted a message; detail `{ text }` (trimmed, never empty)
 * @fires chat-mute - the model mutes an author; detail `{ target, seconds }`
 * @fires chat-ban - the model bans an author; detail `{ target }`
 * @fires chat-slow-mode - the model sets slow mode; detail `{ seconds }` (0: off)
 */
export class LiveChat extends LitElement {
  static override properties = {
    messages: { attribute: false }, error: { type: String }, notice: { type: String }, moderation: { attribute: false },
  };
  /** Messages to show, oldest first. */
  declare messages: ChatMessage[];
  /** Plain words of the last failure, shown as an alert; '' for none. */
  declare error: string;
  /** Plain words of the last moderation action that worked; '' for none. */
  declare notice: string;
  /** Who is looking and what moderation says about them (controllers/chat.ts). */
  declare moderation: ChatModeration;
  #tick: ReturnType<typeof setInterval> | null = null;

  static override styles = css`
    :host { display: flex; flex-direction: column; gap: 8px; min-width: 260px; }
    ol { list-style: none; padding: 0; margin: 0; height: 300px; overflow-y: auto; background: #15151d; border-radius: 8px; }
    li { padding: 4px 8px; word-break: break-word; }
    .from { color: #8ab4ff; margin-right: 6px; }
    .system { color: #999; font-style: italic; }
    form { display: flex; gap: 4px; }
    input { flex: 1; }
    details.mod { display: inline-block; margin-left: 6px; }
    details.mod summary { cursor: pointer; color: #bbb; }
    details.mod[open] { display: flex; flex-wrap: wrap; gap: 6px; align-items: center; padding: 4px 0; }
    :focus-visible { outline: 2px solid #8ab4ff; outline-offset: 2px; }
    .note { margin: 0; color: #ffcc66; }
    .slow { display: flex; gap: 6px; align-items: center; }
  `;

  constructor() {
    super();
    this.messages = [];
    this.error = '';
    this.notice = '';
    this.moderation = NO_MODERATION;
  }

  override updated(): void {
    // A countdown on screen (mute, slow mode) needs a render each second until it ends.
    const now = Date.now();
    const counting = this.moderation.mutedUntil > now || this.moderation.nextSendAt > now;
    if (counting && !this.#tick) this.#tick = setInterval(() => this.requestUpdate(), 1000);
    else if (!counting && this.#tick) { clearInterval(this.#tick); this.#tick = null; }
  }

  override disconnectedCallback(): void {
    super.disconnectedCallback();
    if (this.#tick) clearInterval(this.#tick);
    this.#tick = null;
  }

  #fire<T>(name: string, detail: T): void {
    this.dispatchEvent(new CustomEvent<T>(name, { detail, bubbles: true, composed: true }));
  }

  #send(event: SubmitEvent): void {
    event.preventDefault();
    const input = this.renderRoot.querySelector<HTMLInputElement>('input[name="text"]')!;
    const text = input.value.trim();
    if (!text) return;
    input.value = '';
    this.#fire<ChatSendDetail>('chat-send', { text });
  }

  #mute(target: string, event: Event): void {
    const select = (event.target as HTMLElement).closest('details')!.querySelector('select')!;
    this.#fire<ChatMuteDetail>('chat-mute', { target, seconds: Number(select.value) });
    (event.target as HTMLElement).closest('details')!.open = false;
  }

  #ban(target: string, event: Event): void {
    this.#fire<ChatBanDetail>('chat-ban', { target });
    (event.target as HTMLElement).closest('details')!.open = false;
  }

  #actions(m: ChatMessage) {
    const mod = this.moderation;
    if (!mod.moderator || !m.from.key || m.from.key === mod.selfKey) return nothing;
    const who = m.from.pseudonym;
    return html`<details class="mod" data-author=${m.from.key}><summary aria-label=${`Moderate ${who}`} title=${`Moderate ${who}`}>⋯</summary>
      <label>Mute ${who} for <select name="mute-seconds">${MUTE_CHOICES.map((s) => html`<option value=${s}>${formatDuration(s)}</option>`)}</select></label>
      <button type="button" data-action="mute" @click=${(e: Event) => this.#mute(m.from.key, e)}>Mute</button>
      <button type="button" data-action="ban" @click=${(e: Event) => this.#ban(m.from.key, e)}>Ban ${who}</button>
    </details>`;
  }

  /** What stands between this viewer and their next message, in plain words ('' for nothing). */
  #standing(now: number): { note: string; wait: number } {
    const mod = this.moderation;
    if (mod.banned) return { note: 'You were banned by this model: your messages and the video stop.', wait: 0 };
    if (mod.mutedUntil > now) {
      return { note: `You are muted until ${clock(mod.mutedUntil)} (${formatDuration((mod.mutedUntil - now) / 1000)} left).`, wait: 0 };
    }
    if (mod.nextSendAt > now) {
      const wait = Math.ceil((mod.nextSendAt - now) / 1000);
      return { note: `Slow mode: one message every ${formatDuration(mod.slowModeSeconds)}. You can send again in ${formatDuration(wait)}.`, wait };
    }
    if (!mod.moderator && mod.slowModeSeconds > 0) return { note: `Slow mode: one message every ${formatDuration(mod.slowModeSeconds)}.`, wait: 0 };
    return { note: '', wait: 0 };
  }

  override render() {
    const mod = this.moderation;
    const { note, wait } = this.#standing(Date.now());
    return html`
      <ol aria-label="Chat messages" aria-live="polite">${this.messages.map((m) => html`<li class=${m.kind}>
        ${m.kind === 'system' ? m.text : html`<span class="from">${m.from.pseudonym}</span>${m.text}${this.#actions(m)}`}</li>`)}</ol>
      ${mod.moderator ? html`<label class="slow">Slow mode
        <select id="slow-mode" @change=${(e: Event) => this.#fire<ChatSlowModeDetail>('chat-slow-mode', { seconds: Number((e.target as HTMLSelectElement).value) })}>
          ${SLOW_MODE_CHOICES.map((s) => html`<option value=${s} ?selected=${s === mod.slowModeSeconds}>${s === 0 ? 'Off' : `one message every ${formatDuration(s)}`}</option>`)}
        </select></label>` : nothing}
      ${note ? html`<p class="note" id="chat-standing" role="status">${note}</p>` : nothing}
      <form @submit=${this.#send}><input name="text" maxlength=${LIMITS.chatMaxLength} placeholder="Say something" aria-label="Chat message" ?disabled=${mod.banned}>
        <button ?disabled=${mod.banned || wait > 0}>${wait > 0 ? `Wait ${wait} s` : 'Send'}</button></form>
      ${this.notice ? html`<p role="status" id="chat-notice">${this.notice}</p>` : nothing}
      ${this.error ? html`<p role="alert" id="chat-error">${this.error}</p>` : nothing}`;
  }
}
customElements.define('live-chat', LiveChat);

declare global {
  interface HTMLElementTagNameMap { 'live-chat': LiveChat }
  interface HTMLElementEventMap {
    'chat-send': CustomEvent<ChatSendDetail>;
    'chat-mute': CustomEvent<ChatMuteDetail>;
    'chat-ban': CustomEvent<ChatBanDetail>;
    'chat-slow-mode': CustomEvent<ChatSlowModeDetail>;
  }
}
