/** Training and validation items for a config, and the seeded order prompts are drawn in. */
import { generateArithmetic } from '../data/arithmetic.ts';
import { type BenchmarkItem, getTemplate, loadDataset } from '../data/index.ts';
import { readJsonl } from '../data/jsonl.ts';
import type { Tokenizer } from '../model/tokenizer.ts';
import { UserError } from '../util/errors.ts';
import { Rng } from '../util/rng.ts';
import type { TrainConfig } from './config.ts';

type DatasetSpec = TrainConfig['data']['train'];

/**
 * A JSONL of supervised examples (e.g. written by rejection sampling): `prompt` (already rendered,
 * used verbatim), the completion field, and optionally `id` and `answer`.
 */
async function loadCompletions(path: string, completionField: string, promptField: string): Promise<BenchmarkItem[]> {
  const items: BenchmarkItem[] = [];
  for await (const { line, index, value } of readJsonl(path)) {
    const field = (name: string, required: boolean): string => {
      const v = value[name];
      if (typeof v === 'string' || typeof v === 'number') return String(v);
      if (required) throw new UserError(`${path}:${line}: field "${name}" must be a string, got ${JSON.stringify(v) ?? 'nothing'}`);
      return '';
    };
    items.push({
      id: value.id === undefined ? `${path}/${index}` : field('id', true),
      problem: field(promptField, true),
      answer: field('answer', false),
      meta: { completion: field(completionField, true), renderedPrompt: true },
    });
  }
  return items;
}

export async function loadItems(spec: DatasetSpec, prefix: string): Promise<BenchmarkItem[]> {
  if (typeof spec === 'string') return loadDataset(spec);
  if ('generator' in spec) return generateArithmetic({ n: spec.n, seed: spec.seed, maxOperand: spec.max_operand, prefix, teacherErrorRate: spec.teacher_error_rate });
  if (spec.completion_field !== undefined) return loadCompletions(spec.path, spec.completion_field, spec.problem_field ?? 'prompt');
  return loadDataset(spec.path, {
    fields: { problemField: spec.problem_field, answerField: spec.answer_field, idField: spec.id_field },
  });
}

/** Train and validation items: `data.val` when given, else the last `val_size` items of `data.train`. */
export async function trainAndValItems(cfg: TrainConfig): Promise<{ train: BenchmarkItem[]; val: BenchmarkItem[] }> {
  const all = await loadItems(cfg.data.train, 'train');
  if (cfg.data.val !== undefined) return { train: all, val: await loadItems(cfg.data.val, 'val') };
  if (cfg.data.val_size >= all.length) {
    throw new UserError(`data.val_size ${cfg.data.val_size} leaves no training items (the training set has ${all.length})`);
  }
  return { train: all.slice(0, all.length - cfg.data.val_size), val: all.slice(all.length - cfg.data.val_size) };
}

/** The prompt text of an item under the config's template ('chat' renders with the tokenizer's chat template). */
export function promptText(item: BenchmarkItem, templateName: string, tokenizer: Tokenizer | null): string {
  if (item.meta.renderedPrompt === true) return item.problem;
  const template = getTemplate(templateName);
  if (templateName === 'chat' && tokenizer === null) throw new UserError("template 'chat' needs the model's tokenizer (its chat template)");
  const renderChat = templateName === 'chat' && tokenizer ? (messages: Array<{ role: string; content: string }>) => tokenizer.applyChatTemplate(messages, { addGenerationPrompt: true }) : undefined;
  return template.text(item.problem, renderChat);
}

/**
 * Items in a seeded order, one fresh permutation per pass over the data. The position is a
 * plain count (the cursor), so a resumed run draws exactly the prompts it would have drawn.
 */
export class PromptOrder {
  private cache = new Map<number, Int32Array>();

  constructor(
    private readonly size: number,
    private readonly seed: number,
  ) {
    if (size === 0) throw new UserError('the training set is empty');
  }

  private permutation(epoch: number): Int32Array {
    let perm = this.cache.get(epoch);
    if (!perm) {
      const rng = new Rng(this.seed * 1009 + epoch);
      perm = rng.shuffle(Int32Array.from({ length: this.size }, (_, i) => i));
      this.cache.clear();
      this.cache.set(epoch, perm);
    }
    return perm;
  }

  /** Indices of the `count` items starting at position `cursor`. */
  take(cursor: number, count: number): number[] {
    return Array.from({ length: count }, (_, k) => {
      const pos = cursor + k;
      return this.permutation(Math.floor(pos / this.size))[pos % this.size];
    });
  }
}
