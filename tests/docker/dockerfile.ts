/**
 * docker/Dockerfile read as data, for tests that cannot run `docker build` (no Docker engine here): its stages
 * and each one's instructions, with continuation lines joined and comments dropped.
 */
import { readFileSync } from 'node:fs';

export interface Instruction { op: string; args: string; line: number }
export interface Stage { name: string; from: string; instructions: Instruction[] }

export function parseDockerfile(path: string): Stage[] {
  const stages: Stage[] = [];
  const lines = readFileSync(path, 'utf8').split('\n');
  for (let i = 0; i < lines.length; i++) {
    const start = i;
    let text = lines[i]!;
    if (/^\s*(#|$)/.test(text)) continue;
    while (text.endsWith('\\') && i + 1 < lines.length) text = `${text.slice(0, -1)} ${lines[++i]!.trim()}`;
    const m = /^\s*([A-Za-z]+)\s+(.*)$/.exec(text);
    if (!m) throw new Error(`${path}:${start + 1}: not an instruction: ${text}`);
    const op = m[1]!.toUpperCase();
    const args = m[2]!.trim();
    if (op === 'FROM') {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (!from) throw new Error(`${path}:${start + 1}: bad FROM`);
      stages.push({ name: from[2] ?? `stage${stages.length}`, from: from[1]!, instructions: [] });
      continue;
    }
    if (stages.length === 0) throw new Error(`${path}:${start + 1}: ${op} before FROM`);
    stages.at(-1)!.instructions.push({ op, args, line: start + 1 });
  }
  return stages;
}

/** A COPY's `--from` stage (undefined: the build context), sources and destination. */
export function parseCopy(args: string): { from: string | undefined; sources: string[]; dest: string } {
  const words = args.split(/\s+/);
  let from: string | undefined;
  while (words[0]?.startsWith('--')) {
    const flag = words.shift()!;
    if (flag.startsWith('--from=')) from = flag.slice('--from='.length);
  }
  const dest = words.pop()!;
  return { from, sources: words, dest };
}

/** The stage `name` with the instructions it inherits from the stages it is built FROM, in order. */
export function resolvedInstructions(stages: Stage[], name: string): Instruction[] {
  const stage = stages.find((s) => s.name === name);
  if (!stage) throw new Error(`no stage ${name}`);
  const parent = stages.find((s) => s.name === stage.from);
  return [...(parent ? resolvedInstructions(stages, parent.name) : []), ...stage.instructions];
}

/** The last value of an instruction in a resolved stage (CMD, ENTRYPOINT, USER, HEALTHCHECK, WORKDIR). */
export function last(instructions: Instruction[], op: string): string | undefined {
  return instructions.filter((i) => i.op === op).at(-1)?.args;
}

/** A JSON-form (exec) CMD/ENTRYPOINT as its words; undefined for the shell form. */
export function execForm(args: string | undefined): string[] | undefined {
  if (!args?.startsWith('[')) return undefined;
  return JSON.parse(args) as string[];
}
