import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { bytesPerElement, dtypeOfArray, type TypedArray } from './dtype.ts';
import { ShapeError } from './errors.ts';
import { type Graph, Tensor } from './graph.ts';
import { exportOnnx } from './onnx-export.ts';
import { collectGarbage, RECLAIM_BYTES } from './reclaim.ts';
import { SessionCache } from './session-cache.ts';
import { fmt } from './shape.ts';

export interface CompileOptions {
  /** Intra-op threads; defaults to RLVR_THREADS or the number of cores. */
  threads?: number;
  /** ONNX Runtime execution providers in order of preference; defaults to RLVR_EP or ['cpu']. */
  executionProviders?: string[];
}

let sessions: SessionCache | null = null;
let runMs = 0;

/** The process-wide session cache (created on first use from RLVR_SESSION_CACHE_MB / _MAX). */
export function sessionCache(): SessionCache {
  sessions ??= SessionCache.fromEnv();
  return sessions;
}

/** How many ONNX Runtime sessions have been created in this process (the session cache's misses). */
export function compileCount(): number {
  return sessionCache().created;
}

/** Wall time spent inside ONNX Runtime session runs in this process, in ms (for overhead accounting). */
export function engineRunMs(): number {
  return runMs;
}

/**
 * Releases every idle cached ONNX Runtime session (their native memory) and returns how many;
 * graphs compile again on their next use. The pipeline calls it between stages, so one process
 * running many stages does not keep every shape it ever compiled.
 */
export async function releaseSessions(): Promise<number> {
  const cache = sessionCache();
  const before = cache.size;
  await cache.clear();
  return before - cache.size;
}

export function defaultThreads(): number {
  const env = Number(process.env.RLVR_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

/**
 * ONNX Runtime's CPU memory arena and memory patterns are off unless RLVR_ORT_ARENA=1: an arena
 * keeps the largest run's activations for the session's lifetime (a 3-layer demo model's training
 * graph held ~320 MB after its first step, a 0.5B training graph several GB, and a second run
 * allocated a new block on top), while plain allocation costs no measurable CPU time here
 * (docs/parts/performance.md).
 */
function arenaEnabled(): boolean {
  return process.env.RLVR_ORT_ARENA === '1';
}

/**
 * RLVR_ORT_PROFILE=PREFIX: ONNX Runtime profiles each session's first RLVR_ORT_PROFILE_RUNS runs
 * (default 2) and writes them to PREFIX_<time>.json (`rlvr bench ort-profile FILE` sums them by op).
 */
function profiling(): { prefix: string; runs: number } | null {
  const prefix = process.env.RLVR_ORT_PROFILE;
  if (!prefix) return null;
  const runs = Number(process.env.RLVR_ORT_PROFILE_RUNS ?? 2);
  return { prefix, runs: Number.isInteger(runs) && runs > 0 ? runs : 2 };
}

function sessionOptions(opts: CompileOptions): ort.InferenceSession.SessionOptions {
  const eps = opts.executionProviders ?? (process.env.RLVR_EP ? process.env.RLVR_EP.split(',') : ['cpu']);
  const arena = arenaEnabled();
  const profile = profiling();
  return {
    ...(profile ? { enableProfiling: true, profileFilePrefix: profile.prefix } : {}),
    executionProviders: eps,
    intraOpNumThreads: opts.threads ?? defaultThreads(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    enableCpuMemArena: arena,
    enableMemPattern: arena,
  };
}

/** Per-session native overhead (optimized graph, kernels, thread pool), measured ~3 MB on the demo's graphs. */
const SESSION_OVERHEAD_BYTES = 4 * 2 ** 20;

/**
 * What a session is estimated to hold between runs: its overhead and model (constants twice, other
 * model bytes four times), and with an arena the
 * graph's intermediate values (an upper bound of the arena's peak: not every value is live at once).
 */
function heldBytesEstimate(graph: Graph, modelBytes: number, arena: boolean): number {
  let activations = 0;
  if (arena) for (const node of graph.nodes) for (const t of node.outputs) activations += t.size * bytesPerElement(t.dtype);
  // large constants (int8 weights) are held about twice: the tensor and the kernel's pre-packed copy
  const constants = graph.constants.reduce((sum, c) => sum + c.data.byteLength, 0);
  return SESSION_OVERHEAD_BYTES + Math.max(0, modelBytes - constants) * 4 + constants * 2 + activations;
}

export type Feeds = Record<string, TypedArray>;
export type Results = Record<string, TypedArray>;

/** A graph compiled to an ONNX Runtime session; run it with typed arrays keyed by graph input name. */
export class CompiledGraph {
  private constructor(
    private readonly key: string,
    /** The ONNX model, serialized again whenever the session is (re)created: keeping the bytes would hold a second copy of large constants (int8 weights) per graph. */
    private readonly model: () => Uint8Array,
    private readonly options: ort.InferenceSession.SessionOptions,
    private readonly heldBytes: number,
    private readonly inputs: readonly Tensor[],
    private readonly outputs: ReadonlyArray<[string, Tensor]>,
  ) {}

  static async create(graph: Graph, outputs: Record<string, Tensor>, opts: CompileOptions = {}): Promise<CompiledGraph> {
    const entries = Object.entries(outputs);
    if (entries.length === 0) throw new ShapeError('compile: no outputs requested');
    for (const [key, t] of entries) {
      if (!(t instanceof Tensor) || t.graph !== graph) throw new ShapeError(`compile: output '${key}' is not a tensor of this graph`);
    }
    // ONNX forbids a graph output that is also a graph input or an initializer; route those through Identity.
    const direct = new Set([...graph.inputs.map((t) => t.name), ...graph.constants.map((c) => c.tensor.name)]);
    const seen = new Set<string>();
    const resolved = entries.map(([key, t]): [string, Tensor] => {
      const needsCopy = direct.has(t.name) || seen.has(t.name);
      seen.add(t.name);
      return [key, needsCopy ? graph.addNode('Identity', [t], [{ dtype: t.dtype, shape: t.shape }])[0] : t];
    });
    const model = () =>
      exportOnnx(
        graph,
        resolved.map(([, t]) => t),
      );
    let bytes: Uint8Array | null = model();
    const options = sessionOptions(opts);
    const key = createHash('sha1').update(bytes).update(JSON.stringify(options)).digest('hex');
    const held = heldBytesEstimate(graph, bytes.length, options.enableCpuMemArena === true);
    const compiled = new CompiledGraph(key, model, options, held, graph.inputs.slice(), resolved);
    // compile now (from the bytes at hand), so errors surface here and the first run is not slower than the rest
    const first = bytes;
    bytes = null;
    await compiled.withSession(async () => undefined, first);
    return compiled;
  }

  /** Runs profiled so far (with RLVR_ORT_PROFILE). */
  private profiledRuns = 0;

  private withSession<T>(fn: (s: ort.InferenceSession) => Promise<T>, bytes?: Uint8Array): Promise<T> {
    return sessionCache().use(this.key, this.heldBytes, () => ort.InferenceSession.create(bytes ?? this.model(), this.options), fn);
  }

  /**
   * Runs the graph. `into` names outputs to write into caller-owned arrays (of the output's size,
   * not backed by a SharedArrayBuffer) instead of new ones: ONNX Runtime writes them in place, so a
   * large output (e.g. a model's gradients) needs no second buffer; those outputs are then absent
   * from the results.
   */
  async run(feeds: Feeds, into: Readonly<Record<string, TypedArray>> = {}): Promise<Results> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const input of this.inputs) {
      const data = feeds[input.name];
      if (data === undefined) throw new ShapeError(`run: missing input '${input.name}' (${input.dtype}${fmt(input.shape)})`);
      const dtype = dtypeOfArray(data);
      if (dtype !== input.dtype) throw new ShapeError(`run: input '${input.name}' expects ${input.dtype}, got ${dtype}`);
      if (data.length !== input.size) {
        throw new ShapeError(`run: input '${input.name}' expects ${input.size} values for shape ${fmt(input.shape)}, got ${data.length}`);
      }
      ortFeeds[input.name] = new ort.Tensor(input.dtype, data, input.shape as number[]);
    }
    for (const name of Object.keys(feeds)) {
      if (!this.inputs.some((t) => t.name === name)) {
        throw new ShapeError(`run: unknown input '${name}'; the graph takes ${this.inputs.map((t) => t.name).join(', ')}`);
      }
    }
    const fetches: Record<string, ort.Tensor | null> = {};
    const bound = new Set<string>();
    for (const [key, t] of this.outputs) {
      const dst = into[key];
      if (dst === undefined) {
        if (!(t.name in fetches)) fetches[t.name] = null;
        continue;
      }
      if (dtypeOfArray(dst) !== t.dtype || dst.length !== t.size) {
        throw new ShapeError(`run: output '${key}' is ${t.dtype}${fmt(t.shape)}; the array given for it has ${dst.length} ${dtypeOfArray(dst)} values`);
      }
      if (fetches[t.name] !== undefined && fetches[t.name] !== null) throw new ShapeError(`run: output '${key}' is bound twice`);
      fetches[t.name] = new ort.Tensor(t.dtype, dst, t.shape as number[]);
      bound.add(key);
    }
    for (const key of Object.keys(into)) {
      if (!this.outputs.some(([k]) => k === key)) throw new ShapeError(`run: unknown output '${key}'`);
    }
    const results = await this.runSession(ortFeeds, fetches, bound);
    const boundBytes = [...bound].reduce((sum, key) => sum + into[key].byteLength, 0);
    if (boundBytes >= RECLAIM_BYTES) collectGarbage();
    return results;
  }

  /** One session run; only the outputs not bound to caller-owned arrays are kept (the binding's copies of the others become garbage here). */
  private async runSession(ortFeeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor | null>, bound: ReadonlySet<string>): Promise<Results> {
    const out = await this.withSession(async (session) => {
      const started = performance.now();
      try {
        return await session.run(ortFeeds, fetches);
      } finally {
        runMs += performance.now() - started;
        if (this.options.enableProfiling && ++this.profiledRuns === profiling()?.runs) session.endProfiling();
      }
    });
    const results: Results = {};
    for (const [key, t] of this.outputs) if (!bound.has(key)) results[key] = out[t.name].data as TypedArray;
    return results;
  }
}

export const compile = CompiledGraph.create;
