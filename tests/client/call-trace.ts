/**
 * Test-only, bundled into the Chromium pages: timestamps of every step of a private call, to see where the time
 * between the model's accept and the first frame goes. A signaling wrapper marks each request, reply and push;
 * a patched RTCPeerConnection marks descriptions, gathering, candidates, ICE/DTLS state and tracks.
 */
import type { ClientEvent, Payload, Replies, ServerToClient } from '../../signaling/protocol.ts';
import type { CallSignaling } from '../../client/services/private-call.ts';

/** `detail`: e.g. the call's TURN user name, to find it in coturn's log. */
export interface Mark { name: string; at: number; detail?: string }

/** Where marks go; the agent swaps in a fresh array per call. */
export const trace: { marks: Mark[] } = { marks: [] };

export function mark(name: string, detail?: string): void {
  trace.marks.push({ name, at: performance.timeOrigin + performance.now(), ...(detail ? { detail } : {}) });
}

function what(event: string, p: unknown): string {
  const o = p as { description?: { type: string }; candidate?: { candidate: string } };
  if (event !== 'private:signal') return event;
  return o.description ? `signal:${o.description.type}` : o.candidate ? `signal:candidate` : 'signal';
}

export class TracingSignaling implements CallSignaling {
  readonly #real: CallSignaling;
  constructor(real: CallSignaling) { this.#real = real; }

  async request<E extends ClientEvent>(event: E, payload: Payload<E>): Promise<Replies[E]> {
    const name = what(event, payload);
    mark(`send ${name}`);
    const reply = await this.#real.request(event, payload);
    const turn = (reply as { turn?: { username: string } }).turn;
    mark(`reply ${name}`, turn?.username);
    return reply;
  }

  listen<E extends keyof ServerToClient>(event: E, listener: ServerToClient[E]): () => void {
    const wrapped = ((p: unknown) => {
      const turn = (p as { turn?: { username: string } }).turn;
      mark(`push ${what(event, p)}`, turn?.username);
      (listener as (x: unknown) => void)(p);
    }) as ServerToClient[E];
    return this.#real.listen(event, wrapped);
  }
}

/** Replaces the page's RTCPeerConnection with one that marks what it does. */
export function tracePeerConnections(): void {
  const Native = globalThis.RTCPeerConnection;
  class Traced extends Native {
    constructor(config?: RTCConfiguration) {
      super(config);
      mark('pc created');
      let firstCandidate = true;
      this.addEventListener('icegatheringstatechange', () => mark(`gathering ${this.iceGatheringState}`));
      this.addEventListener('icecandidate', (e) => {
        if (e.candidate?.candidate && firstCandidate) { firstCandidate = false; mark('first local candidate'); }
      });
      this.addEventListener('iceconnectionstatechange', () => mark(`ice ${this.iceConnectionState}`));
      this.addEventListener('connectionstatechange', () => mark(`connection ${this.connectionState}`));
      this.addEventListener('track', (e) => mark(`track ${e.track.kind}`));
    }
    override async setLocalDescription(d?: RTCLocalSessionDescriptionInit): Promise<void> {
      mark('setLocal start');
      await super.setLocalDescription(d);
      mark(`setLocal ${this.localDescription?.type} done`);
    }
    override async setRemoteDescription(d: RTCSessionDescriptionInit): Promise<void> {
      mark('setRemote start');
      await super.setRemoteDescription(d);
      mark(`setRemote ${d.type} done`);
    }
    override async addIceCandidate(c?: RTCIceCandidateInit | null): Promise<void> {
      mark('addIceCandidate');
      await super.addIceCandidate(c ?? undefined);
    }
  }
  globalThis.RTCPeerConnection = Traced;
}
