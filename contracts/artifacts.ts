/**
 * Compiled contract artifacts, committed under contracts/artifacts/ so that start-up and CI never run solc.
 * Each artifact records the hash of everything that went into it (our sources, the OpenZeppelin and solc
 * versions, the compiler settings); `artifactsAreFresh()` compares that with the sources on disk, and
 * `loadArtifacts()` recompiles (a few seconds, lazily loading solc) only when they differ. Node only.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const CONTRACT_NAMES = ['LiveToken', 'LiveChannels'] as const;
export type ContractName = (typeof CONTRACT_NAMES)[number];

export interface Artifact {
  contractName: ContractName;
  sourceName: string;
  abi: readonly unknown[];
  /** Creation bytecode, 0x-prefixed. */
  bytecode: string;
  /** Runtime bytecode, 0x-prefixed. */
  deployedBytecode: string;
  /** Hash of the inputs this artifact was compiled from (see `inputHash`). */
  inputHash: string;
  solcVersion: string;
}

export const contractsDir = fileURLToPath(new URL('.', import.meta.url));
export const sourcesDir = join(contractsDir, 'src');
export const artifactsDir = join(contractsDir, 'artifacts');

/** Compiler settings; part of the input hash. OpenZeppelin 5.x needs Cancun (mcopy). */
export const SOLC_SETTINGS = {
  optimizer: { enabled: true, runs: 20_000 },
  evmVersion: 'cancun',
  outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object', 'evm.deployedBytecode.object'] } },
} as const;

const require = createRequire(import.meta.url);

function packageVersion(name: string): string {
  const pkg = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')) as { version: string };
  return pkg.version;
}

/** Our Solidity sources, by source name (`src/X.sol`). */
export function readSources(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const file of readdirSync(sourcesDir).filter((f) => f.endsWith('.sol')).sort()) {
    out[`src/${file}`] = readFileSync(join(sourcesDir, file), 'utf8');
  }
  return out;
}

/** The hash of every input of a compilation: sources, settings, solc and OpenZeppelin versions. */
export function inputHash(sources: Record<string, string> = readSources()): string {
  const h = createHash('sha256');
  h.update(JSON.stringify({
    solc: packageVersion('solc'),
    openzeppelin: packageVersion('@openzeppelin/contracts'),
    settings: SOLC_SETTINGS,
  }));
  for (const [name, text] of Object.entries(sources)) h.update(`\0${name}\0${text}`);
  return h.digest('hex');
}

function artifactPath(name: ContractName): string {
  return join(artifactsDir, `${name}.json`);
}

/** True when every artifact exists and was compiled from the current inputs. */
export function artifactsAreFresh(hash: string = inputHash()): boolean {
  return CONTRACT_NAMES.every((name) => {
    const path = artifactPath(name);
    if (!existsSync(path)) return false;
    try {
      return (JSON.parse(readFileSync(path, 'utf8')) as Artifact).inputHash === hash;
    } catch {
      return false;
    }
  });
}

/** Reads the committed artifacts, recompiling first if the sources changed since they were built. */
export async function loadArtifacts(): Promise<Record<ContractName, Artifact>> {
  if (!artifactsAreFresh()) {
    const { compileContracts } = await import('./compile.ts');
    compileContracts();
  }
  const out = {} as Record<ContractName, Artifact>;
  for (const name of CONTRACT_NAMES) out[name] = JSON.parse(readFileSync(artifactPath(name), 'utf8')) as Artifact;
  return out;
}
