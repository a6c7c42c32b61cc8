// First: the protocol's schemas are built by the shell's imports, and must be built without zod's JIT.
import './zod-jitless.ts';
import './live-app.ts';
