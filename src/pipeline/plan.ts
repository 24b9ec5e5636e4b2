/**
 * A recipe (YAML) → a validated plan: stages in dependency order with their settings and output
 * paths. Everything is checked before anything runs, and every problem is reported at once,
 * naming the stage and key: unknown stage kinds and keys, duplicate names, dangling references,
 * cycles, bad settings, missing input models.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import YAML from 'yaml';
import { z } from 'zod';
import { applyOverride } from '../rl/config.ts';
import { UserError } from '../util/errors.ts';
import { knownKinds, outputsOf, stageOutputs, type StageSettings, validateStage } from './kinds.ts';
import { findRefs, type FoundRef, substitute } from './refs.ts';

export interface PlannedStage {
  name: string;
  kind: string;
  dir: string;
  settings: StageSettings;
  outputs: Record<string, string>;
  /** Hash of the stage as written, the variables and its dependencies' fingerprints: a finished stage is reused only when it matches. */
  fingerprint: string;
  deps: string[];
}

export interface Plan {
  name: string;
  source: string;
  raw: Record<string, unknown>;
  stages: PlannedStage[];
}

const scalar = z.union([z.string(), z.number(), z.boolean(), z.null()]);
const recipeSchema = z.strictObject({
  name: z.string().min(1).optional(),
  description: z.string().optional(),
  vars: z.record(z.string(), scalar).default({}),
  stages: z.array(z.record(z.string(), z.unknown())).min(1),
});

const NAME = /^[A-Za-z][A-Za-z0-9_-]*$/;

/** Reads a recipe file and applies `--set` overrides (`vars.NAME=…`, `stages.NAME.key.path=…`). */
export function readRecipe(path: string, overrides: readonly string[] = []): Record<string, unknown> {
  let raw: unknown;
  try {
    raw = YAML.parse(readFileSync(path, 'utf8'));
  } catch (err) {
    throw new UserError(`cannot read recipe ${path}: ${(err as Error).message}`);
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw new UserError(`${path}: expected a YAML mapping at the top level`);
  const recipe = raw as Record<string, unknown>;
  for (const o of overrides) {
    const m = /^stages\.([^.=]+)\.(.+)$/s.exec(o);
    if (m) {
      const stage = Array.isArray(recipe.stages) ? (recipe.stages as Array<Record<string, unknown>>).find((s) => s?.name === m[1]) : undefined;
      if (!stage) throw new UserError(`--set '${o}': no stage named '${m[1]}'`);
      applyOverride(stage, m[2]);
    } else applyOverride(recipe, o);
  }
  return recipe;
}

/** Validates the whole recipe and lays out its run directory `out`; throws one UserError listing every problem. */
export function planRecipe(raw: Record<string, unknown>, source: string, out: string): Plan {
  const parsed = recipeSchema.safeParse(raw);
  if (!parsed.success) {
    throw new UserError(
      parsed.error.issues
        .map((i) => (i.code === 'unrecognized_keys' ? `${source}: unknown top-level key${i.keys.length > 1 ? 's' : ''} ${i.keys.map((k) => `'${k}'`).join(', ')} (known: name, description, vars, stages)` : `${source}: ${i.path.join('.') || '(top level)'}: ${i.message}`))
        .join('\n'),
    );
  }
  const recipe = parsed.data;
  const problems: string[] = [];
  const at = (stage: string, key: string, message: string) => problems.push(`${source}: stage '${stage}'${key ? ` key ${key}` : ''}: ${message}`);
  const kinds = knownKinds();

  // names, kinds, references
  const byName = new Map<string, { index: number; kind: string; body: Record<string, unknown>; refs: FoundRef[]; after: string[] }>();
  recipe.stages.forEach((s, index) => {
    const label = typeof s.name === 'string' ? s.name : `#${index + 1}`;
    const { name, kind, after, ...body } = s;
    if (typeof name !== 'string' || !NAME.test(name)) return at(label, 'name', `expected a name of letters, digits, '-' and '_' starting with a letter, got ${JSON.stringify(name)}`);
    if (byName.has(name)) return at(name, 'name', `duplicate stage name (also stage #${byName.get(name)!.index + 1})`);
    if (typeof kind !== 'string' || !kinds.includes(kind)) at(name, 'kind', `unknown stage kind ${JSON.stringify(kind)}; known: ${kinds.join(', ')}`);
    const afterList = after === undefined ? [] : Array.isArray(after) && after.every((a) => typeof a === 'string') ? (after as string[]) : (at(name, 'after', 'expected a list of stage names'), []);
    const refs = findRefs(body, (key, message) => at(name, key, message));
    byName.set(name, { index, kind: String(kind), body, refs, after: afterList });
  });
  for (const [name, s] of byName) {
    for (const { key, ref } of s.refs) {
      if (ref.kind === 'var') {
        if (!(ref.name in recipe.vars)) at(name, key, `${ref.text} refers to no variable '${ref.name}'; vars: ${Object.keys(recipe.vars).join(', ') || '(none)'}`);
        continue;
      }
      const target = byName.get(ref.stage);
      if (!target) at(name, key, `${ref.text} refers to no stage '${ref.stage}'; stages: ${[...byName.keys()].join(', ')}`);
      else if (ref.stage === name) at(name, key, `${ref.text} refers to the stage itself`);
      else if (!outputsOf(target.kind).includes(ref.output)) at(name, key, `${ref.text}: stage '${ref.stage}' (${target.kind}) has no output '${ref.output}'; outputs: ${outputsOf(target.kind).join(', ')}`);
    }
    for (const a of s.after) if (!byName.has(a)) at(name, 'after', `no stage named '${a}'`);
  }
  if (problems.length) throw new UserError(problems.join('\n'));

  // dependency order (stable: list order among ready stages); a cycle is an error naming its path
  const deps = new Map([...byName].map(([name, s]) => [name, [...new Set([...s.refs.flatMap((r) => (r.ref.kind === 'stage' ? [r.ref.stage] : [])), ...s.after])]]));
  const cycle = findCycle(deps);
  if (cycle) {
    const why = cycle.slice(0, -1).map((from, i) => {
      const to = cycle[i + 1];
      const r = byName.get(from)!.refs.find((x) => x.ref.kind === 'stage' && x.ref.stage === to);
      return `'${from}' ${r ? `key ${r.key} uses ${r.ref.text}` : `runs after '${to}'`}`;
    });
    throw new UserError(`${source}: stages form a cycle ${cycle.map((c) => `'${c}'`).join(' → ')}: ${why.join('; ')}`);
  }
  const order: string[] = [];
  const placed = new Set<string>();
  while (order.length < byName.size) {
    const next = [...byName.keys()].find((n) => !placed.has(n) && deps.get(n)!.every((d) => placed.has(d)))!;
    order.push(next);
    placed.add(next);
  }

  // settings with references replaced, in dependency order (a stage's output paths depend on its settings)
  const stages = new Map<string, PlannedStage>();
  for (const name of order) {
    const s = byName.get(name)!;
    if (deps.get(name)!.some((d) => !stages.has(d))) continue; // a dependency failed validation: reported there
    const body = substitute(s.body, (ref) => (ref.kind === 'var' ? recipe.vars[ref.name] : stages.get(ref.stage)!.outputs[ref.output])) as Record<string, unknown>;
    const dir = join(out, name);
    const result = validateStage(s.kind, body, `${source}: stage '${name}'`);
    if ('problems' in result) {
      for (const p of result.problems) problems.push(`${source}: stage '${name}' key ${p}`);
      continue;
    }
    for (const key of modelKeys(result.settings)) {
      const written = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], s.body);
      const value = key.split('.').reduce<unknown>((o, k) => (o as Record<string, unknown> | undefined)?.[k], body);
      const fromStage = typeof written === 'string' && written.includes('${stages.');
      if (!fromStage && typeof value === 'string' && !existsSync(join(value, 'config.json'))) at(name, key, `${value} is not a model directory (no config.json)`);
    }
    const fingerprint = createHash('sha256')
      .update(JSON.stringify({ kind: s.kind, body: withoutTransport(s.body), vars: usedVars(s.refs.filter((r) => !TRANSPORT_KEYS.includes(r.key)), recipe.vars), deps: deps.get(name)!.map((d) => [d, stages.get(d)!.fingerprint]) }))
      .digest('hex');
    stages.set(name, { name, kind: s.kind, dir, settings: result.settings, outputs: stageOutputs(result.settings, dir), fingerprint, deps: deps.get(name)! });
  }
  if (problems.length) throw new UserError(problems.join('\n'));
  return { name: recipe.name ?? source.replace(/^.*\//, '').replace(/\.ya?ml$/, ''), source, raw, stages: order.map((n) => stages.get(n)!) };
}

/**
 * How a server is reached is not part of what a stage makes (as in eval's resume check and the
 * response cache): a teacher restarted on another port must not invalidate its samples.
 */
const TRANSPORT_KEYS = ['base_url', 'api_key', 'concurrency'];
const withoutTransport = (body: Record<string, unknown>) => Object.fromEntries(Object.entries(body).filter(([k]) => !TRANSPORT_KEYS.includes(k)));

/** The values of the variables a stage refers to (other variables do not change it). */
function usedVars(refs: readonly FoundRef[], vars: Record<string, unknown>): Array<[string, unknown]> {
  return [...new Set(refs.flatMap((r) => (r.ref.kind === 'var' ? [r.ref.name] : [])))].sort().map((n) => [n, vars[n]]);
}

/** Keys naming an input model directory. */
function modelKeys(settings: StageSettings): string[] {
  switch (settings.kind) {
    case 'sft':
    case 'grpo':
      return ['config.model'];
    case 'rejection-sample':
      return settings.job.model !== undefined ? ['model'] : [];
    case 'eval':
      return settings.eval.model !== undefined ? ['model'] : [];
    default:
      return [];
  }
}

/** A dependency cycle as a path [a, b, …, a], or null. */
function findCycle(deps: Map<string, string[]>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): string[] | null => {
    if (state.get(n) === 'done') return null;
    if (state.get(n) === 'open') return [...stack.slice(stack.indexOf(n)), n];
    state.set(n, 'open');
    stack.push(n);
    for (const d of deps.get(n) ?? []) {
      const c = visit(d);
      if (c) return c;
    }
    stack.pop();
    state.set(n, 'done');
    return null;
  };
  for (const n of deps.keys()) {
    const c = visit(n);
    if (c) return c;
  }
  return null;
}
