/**
 * Zod without its JIT: zod compiles object parsers with `new Function` after probing for it, and under the
 * page's Content-Security-Policy (no 'unsafe-eval') that probe is reported as a violation even though zod
 * catches it. Imported first by main.ts, before signaling/protocol.ts builds its schemas.
 */
import { config } from 'zod';

config({ jitless: true });
