/**
 * A worker process: one WeriftEngine driven over IPC by the WorkerPool.
 * Exits when the parent goes away, so a crashed parent leaves no orphan.
 */
import { SfuError } from '../errors.ts';
import { WeriftEngine } from '../werift/WeriftEngine.ts';
import type { FromWorker, ToWorker } from './protocol.ts';

let engine: WeriftEngine | undefined;

function send(msg: FromWorker): void {
  if (process.connected) process.send!(msg);
}

process.on('message', (msg: ToWorker) => {
  if (msg.type === 'init') {
    engine = new WeriftEngine(msg.options);
    engine.events.on('showstarted', (...args) => send({ type: 'event', name: 'showstarted', args }));
    engine.events.on('showstalled', (...args) => send({ type: 'event', name: 'showstalled', args }));
    engine.events.on('showresumed', (...args) => send({ type: 'event', name: 'showresumed', args }));
    engine.events.on('showended', (...args) => send({ type: 'event', name: 'showended', args }));
    engine.events.on('viewercount', (...args) => send({ type: 'event', name: 'viewercount', args }));
    engine.events.on('resourceclosed', (...args) => send({ type: 'event', name: 'resourceclosed', args }));
    engine.events.on('relayviewercount', (...args) => send({ type: 'event', name: 'relayviewercount', args }));
    engine.events.on('relayended', (...args) => send({ type: 'event', name: 'relayended', args }));
    send({ type: 'ready' });
    return;
  }
  if (msg.type === 'close') {
    void (engine?.close() ?? Promise.resolve()).finally(() => process.exit(0));
    return;
  }
  if (msg.type === 'call') {
    const e = engine;
    const run = async (): Promise<unknown> => {
      if (!e) throw new SfuError('SFU_UNAVAILABLE', 'worker not initialized');
      const fn = (e as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[msg.method];
      if (typeof fn !== 'function') throw new SfuError('SFU_INTERNAL', 'unknown method');
      return fn.apply(e, msg.args);
    };
    run().then(
      (value) => send({ type: 'result', id: msg.id, ok: true, value }),
      (err: unknown) => {
        const e2 = err instanceof SfuError ? err : new SfuError('SFU_INTERNAL', 'internal SFU error');
        if (!(err instanceof SfuError)) console.error('sfu worker:', err);
        send({ type: 'result', id: msg.id, ok: false, error: e2.toJSON() });
      },
    );
  }
});

process.on('disconnect', () => process.exit(0));

// SFU_WORKER_PROFILE="<startMs>:<durationMs>:<file>" writes a CPU profile of the worker (diagnostics).
const profile = process.env.SFU_WORKER_PROFILE?.split(':');
if (profile && profile.length === 3) {
  const [start, duration, file] = profile as [string, string, string];
  void (async () => {
    const { Session } = await import('node:inspector/promises');
    const { writeFileSync } = await import('node:fs');
    const session = new Session();
    session.connect();
    await new Promise((r) => setTimeout(r, Number(start)));
    await session.post('Profiler.enable');
    await session.post('Profiler.start');
    await new Promise((r) => setTimeout(r, Number(duration)));
    const { profile: p } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(p));
  })();
}
// werift throws from timers on closed transports now and then: log, keep serving.
process.on('uncaughtException', (err) => console.error('sfu worker: uncaught', err));
process.on('unhandledRejection', (err) => console.error('sfu worker: unhandled rejection', err));
