import { LitElement, css, html, nothing } from 'lit';
import { LIMITS } from '../../signaling/protocol.ts';
import { formatAmount, parseAmount } from '../format.ts';
import './identity-badge.ts';

/** One line of the call's chat. */
export interface CallChatLine { from: 'me' | 'peer'; text: string }

/** Detail of `call-chat-send`. */
export interface CallChatDetail { text: string }
/** Detail of `call-tip`. */
export interface CallTipDetail { amount: bigint }

/**
 * A private call on screen: the other person's video big, my own preview small, the text chat (peer to peer),
 * the minute counter, what was spent, what is left of the deposit, the safety code both compare, a tip button
 * (client), the end button, and, once over, why it ended.
 *
 * @fires call-chat-send - a chat line to send; detail `{ text }`
 * @fires call-tip - a tip to send; detail `{ amount }` in base units
 * @fires call-end - hang up
 */
export class CallScreen extends LitElement {
  static override properties = {
    remote: { attribute: false }, local: { attribute: false }, chat: { attribute: false },
    state: { type: String }, peer: { type: String }, peerKey: { type: String, attribute: 'peer-key' }, minute: { type: Number }, spent: { attribute: false },
    remaining: { attribute: false }, safetyCode: { type: String, attribute: 'safety-code' }, endedText: { type: String, attribute: 'ended-text' },
    canTip: { type: Boolean, attribute: 'can-tip' }, notice: { type: String },
  };
  /** The other person's media. */
  declare remote: MediaStream | null;
  /** My camera, shown small. */
  declare local: MediaStream | null;
  declare chat: CallChatLine[];
  /** The call's state: connecting, connected, reconnecting, ended. */
  declare state: string;
  /** The other person's pseudonym. */
  declare peer: string;
  /** The other person's full key: their identity badge. */
  declare peerKey: string;
  /** The minute being played (1-based). */
  declare minute: number;
  /** Spent in this call, base units. */
  declare spent: bigint;
  /** Left in the deposit, base units. */
  declare remaining: bigint;
  /** The code both people compare (empty until known). */
  declare safetyCode: string;
  /** Why the call ended, in plain words ('' while it runs). */
  declare endedText: string;
  /** Show the tip form (the client pays). */
  declare canTip: boolean;
  /** A passing message (a tip refused, the deposit running low). */
  declare notice: string;

  static override styles = css`
    :host { display: block; }
    .stage { position: relative; background: #000; border-radius: 10px; overflow: hidden; aspect-ratio: 16 / 9; max-height: 70vh; }
    video.remote { width: 100%; height: 100%; object-fit: contain; display: block; }
    video.local { position: absolute; right: 12px; bottom: 12px; width: 22%; min-width: 96px; border-radius: 6px; border: 2px solid #fff4; background: #222; }
    .badge { position: absolute; left: 12px; top: 12px; background: #0009; padding: 4px 10px; border-radius: 12px; font-size: .9em; }
    .bar { display: flex; flex-wrap: wrap; gap: 12px 24px; align-items: center; margin: 12px 0; }
    .num { font-variant-numeric: tabular-nums; }
    .code { font-family: ui-monospace, monospace; letter-spacing: .05em; }
    .side { display: grid; grid-template-columns: 1fr 320px; gap: 16px; }
    @media (max-width: 720px) { .side { grid-template-columns: 1fr; } video.local { width: 28%; } }
    .chat { background: #1f1f2b; border-radius: 8px; padding: 8px; display: flex; flex-direction: column; min-height: 200px; }
    .lines { flex: 1; overflow-y: auto; max-height: 40vh; margin: 0; padding: 0; list-style: none; }
    .lines li { margin: 4px 0; }
    .me { color: #8ab4ff; }
    form { display: flex; gap: 6px; }
    input { flex: 1; min-width: 0; padding: 6px; border-radius: 4px; border: 1px solid #555; background: #111; color: #eee; }
    button { padding: 6px 14px; border-radius: 6px; border: 0; cursor: pointer; }
    .end { background: #c9184a; color: #fff; font-weight: 600; }
    .ended { background: #2a1f24; border-left: 4px solid #ff4d6d; padding: 10px 14px; border-radius: 6px; }
    .notice { color: #ffcf70; }
  `;

  constructor() {
    super();
    this.remote = null;
    this.local = null;
    this.chat = [];
    this.state = 'connecting';
    this.peer = '';
    this.peerKey = '';
    this.minute = 0;
    this.spent = 0n;
    this.remaining = 0n;
    this.safetyCode = '';
    this.endedText = '';
    this.canTip = false;
    this.notice = '';
  }

  override updated(): void {
    const remote = this.renderRoot.querySelector<HTMLVideoElement>('video.remote');
    const local = this.renderRoot.querySelector<HTMLVideoElement>('video.local');
    if (remote && remote.srcObject !== this.remote) remote.srcObject = this.remote;
    if (local && local.srcObject !== this.local) local.srcObject = this.local;
    const lines = this.renderRoot.querySelector('.lines');
    if (lines) lines.scrollTop = lines.scrollHeight;
  }

  #fire<T>(name: string, detail?: T): void {
    this.dispatchEvent(new CustomEvent(name, { detail, bubbles: true, composed: true }));
  }

  #send(e: Event): void {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).querySelector('input')!;
    const text = input.value.trim();
    if (!text) return;
    this.#fire<CallChatDetail>('call-chat-send', { text });
    input.value = '';
  }

  #tip(e: Event): void {
    e.preventDefault();
    const input = (e.target as HTMLFormElement).querySelector('input')!;
    const amount = parseAmount(input.value);
    if (amount === null || amount <= 0n) { this.notice = 'Enter a tip in LIVE, greater than zero.'; return; }
    this.#fire<CallTipDetail>('call-tip', { amount });
    input.value = '';
  }

  #stateText(): string {
    if (this.state === 'connected') return `Private with ${this.peer}`;
    if (this.state === 'reconnecting') return 'Reconnecting…';
    if (this.state === 'ended') return 'Call ended';
    return 'Connecting…';
  }

  override render() {
    const over = this.state === 'ended';
    return html`
      <div class="side">
        <div>
          <div class="stage">
            <video class="remote" id="call-remote" autoplay playsinline></video>
            <video class="local" id="call-local" autoplay playsinline muted></video>
            <span class="badge" role="status" id="call-state">${this.#stateText()}</span>
          </div>
          <div class="bar">
            <span>Minute <strong class="num" id="call-minute">${this.minute}</strong></span>
            <span>Spent <strong class="num" id="call-spent">${formatAmount(this.spent)}</strong> LIVE</span>
            <span>Deposit left <strong class="num" id="call-remaining">${formatAmount(this.remaining)}</strong> LIVE</span>
            ${over ? nothing : html`<button class="end" id="call-end" @click=${() => this.#fire('call-end')}>End call</button>`}
          </div>
          ${this.peerKey ? html`<p>With <identity-badge id="call-peer-identity" public-key=${this.peerKey}></identity-badge></p>` : nothing}
          <p>Safety code: <strong class="code" id="safety-code">${this.safetyCode || '…'}</strong>
            <br><small>Compare it with the other person (read it aloud): if it differs, someone is in between. End the call.</small></p>
          ${this.notice ? html`<p class="notice" role="alert">${this.notice}</p>` : nothing}
          ${over ? html`<p class="ended" role="alert" id="call-ended">${this.endedText}</p>` : nothing}
        </div>
        <div class="chat">
          <ul class="lines" id="call-chat" aria-live="polite">
            ${this.chat.map((l) => html`<li class=${l.from}><strong>${l.from === 'me' ? 'You' : this.peer}:</strong> ${l.text}</li>`)}
          </ul>
          ${over ? nothing : html`
            <form @submit=${this.#send}>
              <input id="call-chat-input" aria-label="Message" maxlength=${LIMITS.chatMaxLength} placeholder="Message (only the two of you)">
              <button type="submit">Send</button>
            </form>
            ${this.canTip ? html`<form @submit=${this.#tip}>
              <input id="call-tip-input" aria-label="Tip in LIVE" inputmode="decimal" placeholder="Tip (LIVE)">
              <button type="submit" id="call-tip">Tip</button>
            </form>` : nothing}`}
        </div>
      </div>`;
  }
}
customElements.define('call-screen', CallScreen);

declare global {
  interface HTMLElementTagNameMap { 'call-screen': CallScreen }
}
