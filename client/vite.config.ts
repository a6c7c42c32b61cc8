import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The client is a static bundle served by the signaling server from client/dist.
export default defineConfig({
  root,
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // Vite's default is 500 kB. The one chunk above it is libsodium-sumo (~536 kB: its WebAssembly inlined as
    // base64, which cannot be split); it loads only on first login, never with the directory. 560 kB keeps the
    // warning for any other chunk that grows past libsodium's size, and for libsodium itself if it grows.
    chunkSizeWarningLimit: 560,
  },
  server: { host: '127.0.0.1' },
});
