/**
 * What the soak's server processes did that we did not ask for: crashes (any exit that is not our own kill),
 * unhandled rejections and error-level log lines, read from their stderr.
 */
export class Incidents {
  crashes: string[] = [];
  unhandledRejections: string[] = [];
  /** Error-level log lines (pino level 50+), by message. */
  errors = new Map<string, number>();

  /** Reads a process's stderr line by line. */
  watch(name: string, stream: NodeJS.ReadableStream): void {
    let buf = '';
    stream.on('data', (d: Buffer) => {
      buf += d.toString();
      let nl: number;
      while ((nl = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 1);
        this.#line(name, line);
      }
    });
  }

  #line(name: string, line: string): void {
    if (/SOAK_UNHANDLED_REJECTION|unhandled rejection|UnhandledPromiseRejection/i.test(line)) {
      this.unhandledRejections.push(`${name}: ${line.slice(0, 300)}`);
    }
    if (line.startsWith('{')) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: unknown; code?: unknown }; redis?: { name?: string; code?: string } };
        if ((entry.level ?? 0) >= 50) {
          const why = entry.err ? ` (${String(entry.err.code ?? '')} ${JSON.stringify(entry.err.message ?? '').slice(0, 120)})`
            : entry.redis ? ` (${entry.redis.name ?? ''} ${entry.redis.code ?? ''})` : '';
          const key = `${name}: ${entry.msg ?? ''}${why}`;
          this.errors.set(key, (this.errors.get(key) ?? 0) + 1);
        }
        return;
      } catch { /* not a log line */ }
    }
    if (line.trim() !== '' && process.env.SOAK_VERBOSE === '1') process.stderr.write(`[${name}] ${line}\n`);
  }
}

