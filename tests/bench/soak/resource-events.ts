/**
 * The SFU's server-sent events of one WHIP/WHEP resource (sfu/http.ts): `reconnect` when its worker died, `closed`
 * when it ended. A media client waits on them to know when to POST again.
 */
/** Resolves when the resource's server-sent event stream says reconnect/closed or ends; never rejects. */
export function resourceEnded(base: string, location: string, signal: AbortSignal): Promise<string> {
  return (async () => {
    try {
      const res = await fetch(new URL(`${location}/events`, base), { signal });
      if (!res.ok || !res.body) return `events ${res.status}`;
      const reader = res.body.getReader();
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return 'events stream ended';
        text += new TextDecoder().decode(value);
        const m = /event: (reconnect|closed)/.exec(text);
        if (m) { void reader.cancel().catch(() => undefined); return m[1]!; }
      }
    } catch {
      return signal.aborted ? 'aborted' : 'events failed';
    }
  })();
}

