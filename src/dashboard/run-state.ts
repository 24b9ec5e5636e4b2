/**
 * What the dashboard knows about one run: its summary for the runs list (kind, config summary,
 * status, last metrics) and the data of its page. Append-only logs are read incrementally
 * (MetricsStore, SamplesIndex); whole JSON files are written atomically by their producers and
 * re-read only when their modification time changes. Every failure to read a file becomes an
 * error of this run (naming the file), never of the dashboard.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, join } from 'node:path';
import YAML from 'yaml';
import type { RunEntry, RunKind } from './discover.ts';
import { MetricsStore } from './metrics-store.ts';
import type { SourceKind } from './sample-groups.ts';
import { SamplesIndex } from './samples-index.ts';

/** JSON/YAML files above this size are not loaded whole (they are not run outputs of this toolkit). */
const MAX_DOCUMENT_BYTES = 64 << 20;

export type Status = 'running' | 'finished' | 'interrupted' | 'unknown';

export interface RunSummary {
  id: string;
  kind: RunKind;
  parent: string | null;
  status: Status;
  /** e.g. "step 40 of 100", "120 of 500 samples". */
  progress: string | null;
  /** Milliseconds since the epoch of the newest write seen in the run's files. */
  lastWrite: number | null;
  config: Record<string, string | number | null>;
  metrics: Record<string, number | string | null>;
  errors: string[];
}

type Json = Record<string, unknown>;
const obj = (v: unknown): Json =>
  typeof v === 'object' && v !== null && !Array.isArray(v) ? (v as Json) : {};
const numOrNull = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);
const strOrNull = (v: unknown): string | null =>
  typeof v === 'string' ? v : typeof v === 'number' ? String(v) : null;
const estimate = (v: unknown): number | null => numOrNull(obj(v).value);

function modelName(v: unknown): string | null {
  const s = strOrNull(v);
  return s === null ? null : basename(s.replace(/[\\/]+$/, '')) || s;
}

/** A file read whole, cached until its mtime or size changes. */
class Document<T> {
  private stamp = '';
  private value: T | undefined;
  private error: string | null = null;

  constructor(
    readonly path: string,
    private readonly parse: (text: string) => T,
  ) {}

  /** The parsed content, undefined when the file is absent; a read or parse failure is thrown as an Error naming the file. */
  get(): T | undefined {
    let st;
    try {
      st = statSync(this.path);
    } catch {
      this.stamp = '';
      this.value = undefined;
      return undefined;
    }
    const stamp = `${st.ino}:${st.mtimeMs}:${st.size}`;
    if (stamp !== this.stamp) {
      this.stamp = stamp;
      this.value = undefined;
      this.error = null;
      try {
        if (st.size > MAX_DOCUMENT_BYTES)
          throw new Error(
            `${st.size} bytes, more than the ${MAX_DOCUMENT_BYTES >> 20} MiB the dashboard loads`,
          );
        this.value = this.parse(readFileSync(this.path, 'utf8'));
      } catch (err) {
        this.error = `${basename(this.path)}: ${(err as Error).message.split('\n')[0]}`;
      }
    }
    if (this.error) throw new Error(this.error);
    return this.value;
  }
}

const json = (path: string) => new Document<unknown>(path, (t) => JSON.parse(t));

export interface SamplesSource {
  name: string;
  file: string;
  kind: SourceKind;
}

export class RunState {
  readonly id: string;
  readonly dir: string;
  readonly parent: string | null;
  private readonly baseKind: RunKind;
  private metricsStore: MetricsStore | undefined;
  private readonly samples = new Map<string, SamplesIndex>();
  private readonly docs = new Map<string, Document<unknown>>();
  /** How long after its last write a run without a final file still counts as running. */
  private readonly activeMs: number;

  constructor(entry: RunEntry, activeMs: number) {
    this.id = entry.id;
    this.dir = entry.dir;
    this.parent = entry.parent;
    this.baseKind = entry.kind;
    this.activeMs = activeMs;
  }

  sameBase(kind: RunKind): boolean {
    return this.baseKind === kind;
  }

  private doc(name: string): Document<unknown> {
    let d = this.docs.get(name);
    if (!d) {
      d = name.endsWith('.yaml')
        ? new Document<unknown>(join(this.dir, name), (t) => YAML.parse(t))
        : json(join(this.dir, name));
      this.docs.set(name, d);
    }
    return d;
  }

  /** A JSON/YAML file of the run, parsed; throws an Error naming the file when it is corrupt. */
  read(name: string): unknown {
    return this.doc(name).get();
  }

  get metrics(): MetricsStore {
    this.metricsStore ??= new MetricsStore(join(this.dir, 'metrics.jsonl'));
    return this.metricsStore;
  }

  kind(): RunKind {
    if (this.baseKind !== 'train') return this.baseKind;
    try {
      const k = obj(this.read('config.yaml')).kind;
      return k === 'sft' ? 'sft' : k === 'grpo' || k === undefined ? 'grpo' : 'train';
    } catch {
      return 'train';
    }
  }

  /** The per-sample logs the samples browser can show for this run. */
  sources(): SamplesSource[] {
    const has = (f: string) => existsSync(join(this.dir, f));
    switch (this.baseKind) {
      case 'train':
        return [{ name: 'rollouts', file: 'samples.jsonl', kind: 'train' }];
      case 'eval':
        return has('samples.jsonl')
          ? [{ name: 'samples', file: 'samples.jsonl', kind: 'eval' }]
          : [{ name: 'samples', file: 'progress.jsonl', kind: 'eval-progress' }];
      case 'contamination':
        return [{ name: 'probe items', file: 'items.jsonl', kind: 'probe' }];
      default:
        return [];
    }
  }

  private samplesIndexOf(source: SamplesSource): SamplesIndex {
    let idx = this.samples.get(source.file);
    if (!idx || idx.kind !== source.kind) {
      idx = new SamplesIndex(join(this.dir, source.file), source.kind);
      this.samples.set(source.file, idx);
    }
    return idx;
  }

  /** The index of one samples source, brought up to date (only appended bytes are read). */
  samplesIndex(source: SamplesSource): SamplesIndex {
    const idx = this.samplesIndexOf(source);
    idx.update();
    return idx;
  }

  /** As `samplesIndex`, without blocking the server while a large log is first indexed. */
  async samplesIndexAsync(source: SamplesSource): Promise<SamplesIndex> {
    const idx = this.samplesIndexOf(source);
    await idx.updateAsync();
    return idx;
  }

  /** Line counts of the samples indexes built so far (the page polls them for live updates). */
  indexedSamples(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [file, idx] of this.samples) {
      idx.update();
      out[file] = idx.lines;
    }
    return out;
  }

  checkpoints(): number[] {
    const dir = join(this.dir, 'checkpoints');
    try {
      return readdirSync(dir)
        .map((n) => /^step-(\d+)$/.exec(n))
        .filter((m): m is RegExpExecArray => m !== null && existsSync(join(dir, m[0], 'trainer_state.json')))
        .map((m) => Number(m[1]))
        .sort((a, b) => a - b);
    } catch {
      return [];
    }
  }

  /** JSON files of the run that no specific view shows (e.g. interpretability outputs). */
  otherJsonFiles(): string[] {
    const known = new Set([
      'results.json',
      'progress.config.json',
      'summary.json',
      'perplexity.json',
      'demo.json',
    ]);
    try {
      return readdirSync(this.dir, { withFileTypes: true })
        .filter((e) => e.isFile() && e.name.endsWith('.json') && !known.has(e.name))
        .map((e) => e.name)
        .sort();
    } catch {
      return [];
    }
  }

  private lastWrite(files: string[]): number | null {
    let newest: number | null = null;
    for (const f of files) {
      try {
        const t = statSync(join(this.dir, f)).mtimeMs;
        if (newest === null || t > newest) newest = t;
      } catch {
        // absent
      }
    }
    return newest;
  }

  private liveStatus(lastWrite: number | null, now: number): Status {
    return lastWrite !== null && now - lastWrite < this.activeMs ? 'running' : 'interrupted';
  }

  summary(now = Date.now(), childWrites: Array<number | null> = []): RunSummary {
    const s: RunSummary = {
      id: this.id,
      kind: this.kind(),
      parent: this.parent,
      status: 'unknown',
      progress: null,
      lastWrite: null,
      config: {},
      metrics: {},
      errors: [],
    };
    const attempt = (fn: () => void) => {
      try {
        fn();
      } catch (err) {
        s.errors.push((err as Error).message);
      }
    };
    switch (this.baseKind) {
      case 'train':
        attempt(() => this.trainSummary(s, now));
        break;
      case 'eval':
        attempt(() => this.evalSummary(s, now));
        break;
      case 'contamination':
        attempt(() => this.contaminationSummary(s));
        break;
      case 'perplexity':
        attempt(() => this.perplexitySummary(s));
        break;
      case 'suite':
        attempt(() => this.suiteSummary(s, now, childWrites));
        break;
      case 'demo':
        attempt(() => this.demoSummary(s, now, childWrites));
        break;
      case 'other':
        s.status = 'finished';
        s.lastWrite = this.lastWrite(this.otherJsonFiles());
        break;
    }
    return s;
  }

  private trainSummary(s: RunSummary, now: number): void {
    let cfg: Json = {};
    try {
      const raw = this.read('config.yaml');
      if (raw === undefined)
        s.errors.push('config.yaml is missing: the run has a training log but no resolved config');
      cfg = obj(raw);
    } catch (err) {
      s.errors.push((err as Error).message); // the curves and samples are still shown
    }
    const rewards = Array.isArray(cfg.rewards) ? (cfg.rewards as Json[]) : [];
    const algo = obj(cfg.algorithm);
    s.config = {
      model: modelName(cfg.model),
      algorithm: s.kind === 'sft' ? 'sft' : (strOrNull(algo.advantage) ?? 'grpo'),
      reward:
        rewards
          .map((r) =>
            numOrNull(r.weight) !== null && r.weight !== 1 ? `${r.name}×${r.weight}` : String(r.name),
          )
          .join(' + ') || null,
      seed: numOrNull(cfg.seed),
      data:
        typeof obj(cfg.data).train === 'string'
          ? modelName(obj(cfg.data).train)
          : (strOrNull(obj(obj(cfg.data).train).generator) ?? strOrNull(obj(obj(cfg.data).train).path)),
    };
    const m = this.metrics;
    m.update();
    s.errors.push(...m.errors);
    const target = numOrNull(obj(cfg.train).steps);
    const last = m.last;
    const step = numOrNull(last?.step);
    const checkpoints = this.checkpoints();
    s.lastWrite = this.lastWrite(['config.yaml', 'metrics.jsonl', 'samples.jsonl', 'checkpoints']);
    s.progress = `step ${step ?? 0}${target !== null ? ` of ${target}` : ''}`;
    const done = target !== null && ((step !== null && step >= target) || checkpoints.includes(target));
    s.status = done ? 'finished' : this.liveStatus(s.lastWrite, now);
    if (last) {
      for (const k of s.kind === 'sft' ? ['loss', 'grad_norm'] : ['reward_mean', 'accuracy', 'entropy', 'kl'])
        s.metrics[k] = numOrNull(last[k]);
      s.metrics.val_accuracy = m.lastValue('val_accuracy');
    }
  }

  private evalSummary(s: RunSummary, now: number): void {
    const results = this.read('results.json');
    const cfg = obj(results !== undefined ? obj(results).config : this.read('progress.config.json'));
    s.config = {
      model: modelName(cfg.model),
      dataset: strOrNull(cfg.dataset_name) ?? modelName(cfg.dataset),
      template: strOrNull(cfg.template),
      n: numOrNull(cfg.n),
      temperature: numOrNull(cfg.temperature),
      seed: numOrNull(cfg.seed),
    };
    if (results !== undefined) {
      const r = obj(results);
      if (r.schema !== 'rlvr-eval/1')
        throw new Error(`results.json: schema is ${JSON.stringify(r.schema)}, not "rlvr-eval/1"`);
      const metrics = obj(r.metrics);
      const counts = obj(r.counts);
      s.status = 'finished';
      s.lastWrite = this.lastWrite(['results.json']);
      s.progress = `${numOrNull(counts.samples) ?? '?'} samples`;
      s.metrics = {
        'pass@1': estimate(metrics['pass@1']),
        greedy_accuracy: estimate(metrics.greedy_accuracy),
        format_rate: estimate(metrics.format_rate),
        items: numOrNull(counts.items),
      };
      return;
    }
    const idx = this.samplesIndex(this.sources()[0]);
    s.errors.push(...idx.errors.map((e) => `progress.jsonl ${e}`));
    s.lastWrite = this.lastWrite(['progress.jsonl', 'progress.config.json']);
    s.status = this.liveStatus(s.lastWrite, now);
    s.progress = `${idx.lines} samples so far`;
  }

  private contaminationSummary(s: RunSummary): void {
    const sum = obj(this.read('summary.json'));
    const ratios = Array.isArray(sum.ratios) ? (sum.ratios as Json[]) : null;
    if (!ratios) throw new Error('summary.json: no "ratios" list');
    s.status = 'finished';
    s.lastWrite = this.lastWrite(['summary.json']);
    // `rlvr audit contamination` writes dataset, policy and counts; the demo's phase 1 {config, ratios, skipped}
    const cfg = obj(sum.config);
    s.config = {
      dataset: strOrNull(sum.dataset),
      model: modelName(sum.policy ?? cfg.model),
      ratios: ratios.map((r) => r.prefix_ratio).join(', '),
    };
    const head = ratios.find((r) => r.prefix_ratio === 0.6) ?? ratios[0];
    const items = numOrNull(obj(sum.counts).items) ?? (Array.isArray(cfg.items) ? cfg.items.length : null);
    s.progress = items === null ? null : `${items} items`;
    if (head) {
      s.metrics = {
        prefix_ratio: numOrNull(head.prefix_ratio),
        rouge_l: estimate(head.rouge_l),
        exact_match: estimate(head.exact_match),
        auroc_rouge_l: numOrNull(obj(head.auroc).rouge_l),
      };
    }
  }

  private perplexitySummary(s: RunSummary): void {
    const p = obj(this.read('perplexity.json'));
    if (!Array.isArray(p.checkpoints)) throw new Error('perplexity.json: no "checkpoints" list');
    s.status = 'finished';
    s.lastWrite = this.lastWrite(['perplexity.json']);
    s.config = { dataset: strOrNull(p.dataset), model: modelName(obj(p.config).model) };
    s.progress = `${p.checkpoints.length} checkpoints`;
  }

  private suiteSummary(s: RunSummary, now: number, childWrites: Array<number | null>): void {
    const sum = this.read('summary.json');
    const newest = Math.max(...childWrites.map((t) => t ?? 0), this.lastWrite(['summary.json']) ?? 0) || null;
    s.lastWrite = newest;
    if (sum === undefined) {
      s.status = this.liveStatus(newest, now);
      return;
    }
    const o = obj(sum);
    if (o.schema !== 'rlvr-spurious/1')
      throw new Error(`summary.json: schema is ${JSON.stringify(o.schema)}, not "rlvr-spurious/1"`);
    const cfg = obj(o.config);
    const variants = Array.isArray(o.variants) ? (o.variants as Json[]) : [];
    s.status = 'finished';
    s.config = {
      model: modelName(cfg.model),
      seed: numOrNull(cfg.seed),
      steps: numOrNull(cfg.steps),
      variants: variants.map((v) => String(v.variant)).join(', '),
    };
    s.metrics = { verdict: strOrNull(obj(o.verdict).rule) };
    s.progress = `${variants.length} variants`;
  }

  private demoSummary(s: RunSummary, now: number, childWrites: Array<number | null>): void {
    const d = this.read('demo.json');
    const newest =
      Math.max(...childWrites.map((t) => t ?? 0), this.lastWrite(['demo.json', 'grpo.yaml']) ?? 0) || null;
    s.lastWrite = newest;
    if (d === undefined) {
      s.status = this.liveStatus(newest, now);
      return;
    }
    const o = obj(d);
    if (o.schema !== 'rlvr-demo/1')
      throw new Error(`demo.json: schema is ${JSON.stringify(o.schema)}, not "rlvr-demo/1"`);
    s.status = 'finished';
    s.config = {
      organism_seed: numOrNull(obj(o.organism).seed),
      budget: strOrNull(obj(o.budget).name) ?? strOrNull(o.budget),
    };
    s.metrics = {
      auroc_rouge_l: numOrNull(obj(o.contamination).auroc_rouge_l),
      verdict: strOrNull(obj(o.spurious).verdict_rule),
    };
  }

  /** Everything the run page shows besides curves and samples: the run's own files, parsed. */
  detail(): {
    documents: Record<string, unknown>;
    errors: string[];
    checkpoints: number[];
    configText: string | null;
    otherJson: string[];
    sources: SamplesSource[];
  } {
    const names: Record<RunKind, string[]> = {
      grpo: [],
      sft: [],
      train: [],
      eval: ['results.json', 'progress.config.json'],
      contamination: ['summary.json'],
      perplexity: ['perplexity.json'],
      suite: ['summary.json'],
      demo: ['demo.json'],
      other: [],
    };
    const documents: Record<string, unknown> = {};
    const errors: string[] = [];
    for (const n of names[this.baseKind]) {
      try {
        const v = this.read(n);
        if (v !== undefined) documents[n] = v;
      } catch (err) {
        errors.push((err as Error).message);
      }
    }
    let configText: string | null = null;
    if (this.baseKind === 'train') {
      try {
        configText = readFileSync(join(this.dir, 'config.yaml'), 'utf8');
      } catch (err) {
        errors.push(`config.yaml: ${(err as Error).message}`);
      }
    }
    return {
      documents,
      errors,
      checkpoints: this.baseKind === 'train' ? this.checkpoints() : [],
      configText,
      otherJson: this.otherJsonFiles(),
      sources: this.sources(),
    };
  }
}
