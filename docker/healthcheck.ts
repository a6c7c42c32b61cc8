/**
 * The images' HEALTHCHECK (`node docker/healthcheck.js`, compiled by build:server): asks the node's own
 * `/healthz` on loopback at $PORT (HOST may be 0.0.0.0; the check runs inside the container) and exits 0 on a
 * 2xx, 1 on anything else: not listening yet, 503 while a part (chain, SFU, signaling) is down, no answer
 * within 3 s. Plain node: the runtime image has no curl or wget.
 */
export {};

const port = Number(process.env.PORT || 8080);
const url = `http://127.0.0.1:${port}/healthz`;

try {
  const res = await fetch(url, { signal: AbortSignal.timeout(3_000) });
  console.log(`${url}: ${res.status}`);
  process.exitCode = res.ok ? 0 : 1;
} catch (err) {
  console.log(`${url}: ${err instanceof Error ? err.message : String(err)}`);
  process.exitCode = 1;
}
