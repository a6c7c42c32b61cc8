/**
 * What a page shows of one private call: it follows a PrivateCall's events and keeps the numbers, the chat,
 * both streams, the safety code and, at the end, the reason in plain words. The page renders `<call-screen>`
 * from these fields.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { CallState, PrivateCall } from '../services/private-call.ts';
import type { CallChatLine } from '../components/call-screen.ts';
import { messageFor } from '../messages.ts';

/** How many chat lines stay on screen. */
const KEEP = 200;

export class CallViewController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  #call: PrivateCall | null = null;
  #off: (() => void)[] = [];
  state: CallState | 'none' = 'none';
  peer = '';
  /** The peer's full key (checked against the pin), for the identity badge. */
  peerKey = '';
  remote: MediaStream | null = null;
  local: MediaStream | null = null;
  chat: CallChatLine[] = [];
  minute = 0;
  spent = 0n;
  remaining = 0n;
  safetyCode = '';
  endedText = '';
  notice = '';

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  get call(): PrivateCall | null { return this.#call; }
  /** A call is on screen (running or just ended). */
  get active(): boolean { return this.state !== 'none'; }

  /** Shows `call` (with my key and the peer's, for the safety code). */
  follow(call: PrivateCall, o: { local: MediaStream; peer: string; myKey: string; peerKey: string; deposit: bigint }): void {
    this.#detach();
    this.#call = call;
    Object.assign(this, { state: call.state, peer: o.peer, peerKey: o.peerKey, local: o.local, remote: null, chat: [], minute: 0, spent: 0n, remaining: o.deposit, endedText: '', notice: '', safetyCode: '' });
    const e = call.events;
    this.#off.push(
      e.on('state', (s) => { this.state = s; this.#host.requestUpdate(); }),
      e.on('remotestream', (s) => { this.remote = s; this.#host.requestUpdate(); }),
      e.on('chat', (l) => { this.chat = [...this.chat, { from: l.from, text: l.text }].slice(-KEEP); this.#host.requestUpdate(); }),
      e.on('tick', (t) => { Object.assign(this, { minute: t.minute, spent: t.spent, remaining: t.remaining }); this.#host.requestUpdate(); }),
      e.on('lowdeposit', () => { this.notice = 'Your deposit cannot pay the next minute: the call will end. Top it up in your wallet.'; this.#host.requestUpdate(); }),
      e.on('ended', (end) => { this.state = 'ended'; this.endedText = messageFor(end.error); this.#host.requestUpdate(); }),
    );
    void import('../services/safety-code.ts').then(({ safetyCode }) => safetyCode(o.myKey, o.peerKey)).then((code) => {
      if (this.#call === call) { this.safetyCode = code; this.#host.requestUpdate(); }
    }, () => undefined);
    this.#host.requestUpdate();
  }

  sendChat(text: string): void {
    try {
      this.#call?.sendChat(text);
    } catch (err) {
      this.notice = messageFor(err);
      this.#host.requestUpdate();
    }
  }

  async tip(amount: bigint): Promise<void> {
    try {
      await this.#call?.tip(amount);
      this.notice = '';
    } catch (err) {
      this.notice = messageFor(err);
    }
    this.#host.requestUpdate();
  }

  end(): void {
    this.#call?.end();
  }

  /** Takes the ended call off the screen. */
  dismiss(): void {
    this.#detach();
    this.state = 'none';
    this.#host.requestUpdate();
  }

  hostDisconnected(): void {
    this.#call?.close();
    this.#detach();
  }

  #detach(): void {
    for (const off of this.#off.splice(0)) off();
    this.#call = null;
  }
}
