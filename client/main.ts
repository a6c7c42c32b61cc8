// First: the protocol's schemas are built by the shell's imports, and must be built without zod's JIT.
import './zod-jitless.ts';
import './live-app.ts';
// The landing page comes with the shell, so the first view needs no second round trip (it loads neither
// libsodium nor ethers); every other page is imported when its route is first entered (routes.ts).
import './pages/live-directory.ts';
