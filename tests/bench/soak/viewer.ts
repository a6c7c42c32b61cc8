/**
 * A viewer of the soak's public show: a werift WHEP viewer (tests/sfu/helpers/weriftViewer.ts) from the media node,
 * driven by a client's signaling session on any node, with chat. When its SFU session ends (server-sent
 * `reconnect`) or stays silent 3 s, it comes back as the watch page does: `show:watch` for a fresh token, then a new
 * POST. It records its longest freeze (time between two video packets while watching) and each reconnect's length.
 */
import { joinWhep, type WeriftViewerClient } from '../../sfu/helpers/weriftViewer.ts';
import type { Session } from '../../../client/services/session.ts';
import { resourceEnded } from './resource-events.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A viewer: watches the show over WHEP from the media node, chats over its own signaling session. */
export class SoakViewer {
  readonly #session: Session;
  readonly #mediaUrl: string;
  readonly #model: string;
  #closed = false;
  #viewer: WeriftViewerClient | null = null;
  #abort = new AbortController();
  #poll: ReturnType<typeof setInterval> | undefined;
  #lastCount = 0;
  #lastPacketAt = 0;
  #joinedAt = 0;
  /** Longest time between two video packets while watching (ms), including reconnects. */
  longestFreezeMs = 0;
  /** ms from the last packet before a lost media session to the first packet after it. */
  readonly reconnectsMs: number[] = [];
  #lostAt = 0;
  rejoins = 0;
  chatSent = 0;
  chatReceived = 0;
  showId = '';

  constructor(session: Session, mediaUrl: string, model: string) {
    this.#session = session;
    this.#mediaUrl = mediaUrl;
    this.#model = model;
    session.listen('chat:message', () => { this.chatReceived++; });
  }

  async start(): Promise<void> {
    const { ended } = await this.#join();
    // Freezes count from the first packet on.
    const first = Date.now() + 20_000;
    while (this.#count() === 0 && Date.now() < first) await sleep(25);
    this.#lastPacketAt = Date.now();
    this.#poll = setInterval(() => this.#tick(), 25);
    void this.#loop(ended);
  }

  #count(): number { return this.#viewer?.videoPackets() ?? 0; }

  #tick(): void {
    const n = this.#count();
    const now = Date.now();
    if (n !== this.#lastCount) {
      if (n > this.#lastCount) {
        this.longestFreezeMs = Math.max(this.longestFreezeMs, now - this.#lastPacketAt);
        if (this.#lostAt) { this.reconnectsMs.push(now - this.#lostAt); this.#lostAt = 0; }
        this.#lastPacketAt = now;
      }
      this.#lastCount = n;
    }
  }

  async #loop(ended: Promise<string>): Promise<void> {
    while (!this.#closed) {
      // The watchdog: a media session that stays silent 3 s is as good as lost.
      const why = await Promise.race([ended, this.#silent(3_000).then(() => 'silent 3 s')]);
      if (this.#closed) return;
      if (process.env.SOAK_VERBOSE === '1') console.error(`[viewer] media lost: ${why}`);
      this.#abort.abort();
      this.#lostAt = this.#lastPacketAt;
      const old = this.#viewer;
      this.#viewer = null;
      this.#lastCount = 0;
      await old?.close().catch(() => undefined);
      for (;;) {
        if (this.#closed) return;
        try {
          ({ ended } = await this.#join());
          this.rejoins++;
          break;
        } catch (err) {
          if (process.env.SOAK_VERBOSE === '1') console.error(`[viewer] rejoin failed: ${(err as Error).message}`);
          await sleep(250);
        }
      }
    }
  }

  async #silent(ms: number): Promise<void> {
    while (!this.#closed && Date.now() - Math.max(this.#lastPacketAt, this.#joinedAt) < ms) await sleep(100);
  }

  async #join(): Promise<{ ended: Promise<string> }> {
    const w = await this.#session.request('show:watch', { model: this.#model });
    this.showId = w.showId;
    const endpoint = new URL(w.whepUrl, this.#mediaUrl).toString();
    const viewer = await joinWhep({ endpoint, token: w.whepToken });
    this.#viewer = viewer;
    this.#joinedAt = Date.now();
    this.#abort = new AbortController();
    return { ended: resourceEnded(this.#mediaUrl, viewer.location, this.#abort.signal) };
  }

  /** One chat line (errors while signaling is away are expected and not counted as sent). */
  async chat(text: string): Promise<void> {
    if (!this.showId) return;
    try {
      await this.#session.request('chat:send', { showId: this.showId, text });
      this.chatSent++;
    } catch { /* signaling away or rate-limited */ }
  }

  async close(): Promise<void> {
    this.#closed = true;
    clearInterval(this.#poll);
    this.#abort.abort();
    await this.#viewer?.close().catch(() => undefined);
  }
}
