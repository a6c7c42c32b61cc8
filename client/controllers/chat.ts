/**
 * One show's public chat for a page: listens to `chat:message` for that show
 * while the page is connected and sends through the page's session.
 */
import type { ReactiveController, ReactiveControllerHost } from 'lit';
import type { ChatMessage } from '../../signaling/protocol.ts';
import type { Session } from '../services/session.ts';
import { messageFor } from '../messages.ts';

/** How many messages a page keeps on screen. */
const KEEP = 200;

export class ChatController implements ReactiveController {
  readonly #host: ReactiveControllerHost;
  #session: Session | null = null;
  #showId = '';
  #stop: (() => void) | null = null;
  /** The latest messages, oldest first. */
  messages: ChatMessage[] = [];
  /** Plain words for the last failed send, '' after a good one. */
  error = '';

  constructor(host: ReactiveControllerHost) {
    this.#host = host;
    host.addController(this);
  }

  /** Follows `showId`'s chat through `session` (a new show starts an empty list). */
  attach(session: Session, showId: string): void {
    this.#stop?.();
    this.#session = session;
    this.#showId = showId;
    this.messages = [];
    this.#listen();
    this.#host.requestUpdate();
  }

  /** Sends `text`; false (with `error` set) when the server refused it. */
  async send(text: string): Promise<boolean> {
    if (!this.#session || !this.#showId) return false;
    try {
      await this.#session.request('chat:send', { showId: this.#showId, text });
      this.error = '';
      return true;
    } catch (err) {
      this.error = messageFor(err);
      return false;
    } finally {
      this.#host.requestUpdate();
    }
  }

  #listen(): void {
    if (!this.#session || this.#stop) return;
    this.#stop = this.#session.listen('chat:message', (m) => {
      if (m.showId !== this.#showId) return;
      this.messages = [...this.messages.slice(-(KEEP - 1)), m];
      this.#host.requestUpdate();
    });
  }

  hostConnected(): void {
    this.#listen();
  }

  hostDisconnected(): void {
    this.#stop?.();
    this.#stop = null;
  }
}
