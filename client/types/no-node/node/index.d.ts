/**
 * Stands in for @types/node in the browser project (tsconfig.browser.json `typeRoots`). ethers' declarations
 * start with `/// <reference types="node" />` (for its IPC provider), which would otherwise load every Node
 * global (`process`, `Buffer`, `node:fs`...) into browser code and let it compile. With this empty library in
 * their place, browser code that uses a Node API fails to typecheck, as it would fail in the browser.
 */
export {};
