/**
 * `npm run check:layers`: the import rules of .dependency-cruiser.cjs (crypto <- contracts <- signaling -> sfu,
 * the client on browser-safe modules only) checked over the tree with dependency-cruiser. Prints each
 * violation as `rule: from -> to` and exits 1 if there is any.
 *
 * `checkLayers(baseDir)` is the same check over any tree laid out like ours: tests/layers/layers.test.ts runs it
 * on the real tree and on a fixture tree of deliberately wrong imports.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { cruise, type ICruiseOptions, type IViolation } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';

const root = resolve(import.meta.dirname, '../..');

/** The folders the rules are about, in the order of the layers. */
export const LAYER_FOLDERS = ['crypto', 'contracts', 'signaling', 'sfu', 'client', 'tests'] as const;

/** One broken rule: which rule, and the import that broke it (`via` is the chain for a reachability rule). */
export interface LayerViolation { rule: string; from: string; to: string; via: string[] }

export interface LayerReport {
  /** Every broken rule, sorted by rule then importing file. */
  violations: LayerViolation[];
  /** How many modules were read (ours and the npm entry points they import). */
  modules: number;
}

/** Cruises the layer folders under `baseDir` with the repo's rules. */
export async function checkLayers(dir: string = root): Promise<LayerReport> {
  // Absolute: from a relative base directory dependency-cruiser does not find the npm packages above it.
  const baseDir = resolve(dir);
  const options: ICruiseOptions = await extractDepcruiseOptions(join(root, '.dependency-cruiser.cjs'));
  const folders = LAYER_FOLDERS.filter((f) => existsSync(join(baseDir, f)));
  const result = await cruise(folders, { ...options, baseDir, validate: true, outputType: 'json' });
  const output = typeof result.output === 'string' ? JSON.parse(result.output) : result.output;
  const violations = (output.summary.violations as IViolation[]).map((v) => ({
    rule: v.rule.name,
    from: v.from,
    to: v.to,
    via: (v.via ?? v.cycle ?? []).map((step) => (typeof step === 'string' ? step : step.name)),
  }));
  violations.sort((a, b) => a.rule.localeCompare(b.rule) || a.from.localeCompare(b.from) || a.to.localeCompare(b.to));
  return { violations, modules: output.summary.totalCruised as number };
}

/** One line per violation, as the command prints them. */
export function formatViolation(v: LayerViolation): string {
  return `${v.rule}: ${v.from} -> ${v.to}${v.via.length > 1 ? ` (via ${v.via.join(' -> ')})` : ''}`;
}

if (process.argv[1] && import.meta.url === pathToFileURL(resolve(process.argv[1])).href) {
  const report = await checkLayers();
  for (const v of report.violations) console.error(formatViolation(v));
  console.log(`check:layers: ${report.violations.length} violation(s) in ${report.modules} modules`);
  process.exitCode = report.violations.length === 0 ? 0 : 1;
}
