/**
 * The HTTP routes an express 5 app really serves, read from its router (not from a list someone keeps): every
 * `app.get/post/...` and every route of a mounted router, as `METHOD /path` with the mount prefix, one per path of
 * a route with several. Middleware that is not a route (static files, limits, error handlers) is left out.
 */
import type express from 'express';

interface Layer {
  rawPath?: string | string[];
  route?: { path: string | string[]; methods: Record<string, boolean> };
  handle?: { stack?: Layer[] };
}

function walk(stack: Layer[], prefix: string, out: string[]): void {
  for (const layer of stack) {
    if (layer.route) {
      for (const path of [layer.route.path].flat()) {
        for (const method of Object.keys(layer.route.methods)) out.push(`${method.toUpperCase()} ${prefix}${path}`);
      }
    } else if (layer.handle?.stack) {
      const mount = [layer.rawPath ?? '/'].flat()[0] ?? '/';
      walk(layer.handle.stack, prefix + (mount === '/' ? '' : mount), out);
    }
  }
}

/** `METHOD /path` of every route of `app`, sorted. */
export function routesOf(app: express.Express): string[] {
  const out: string[] = [];
  walk((app as unknown as { router: { stack: Layer[] } }).router.stack, '', out);
  return out.sort();
}

/** True when `app` serves static files (express.static) after its routes. */
export function servesStatic(app: express.Express): boolean {
  return (app as unknown as { router: { stack: { name?: string }[] } }).router.stack.some((l) => l.name === 'serveStatic');
}
