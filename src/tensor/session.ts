import { createHash } from 'node:crypto';
import { availableParallelism } from 'node:os';
import * as ort from 'onnxruntime-node';
import { dtypeOfArray, type TypedArray } from './dtype.ts';
import { ShapeError } from './errors.ts';
import { type Graph, Tensor } from './graph.ts';
import { exportOnnx } from './onnx-export.ts';
import { fmt } from './shape.ts';

export interface CompileOptions {
  /** Intra-op threads; defaults to RLVR_THREADS or the number of cores. */
  threads?: number;
  /** ONNX Runtime execution providers in order of preference; defaults to RLVR_EP or ['cpu']. */
  executionProviders?: string[];
}

const sessionCache = new Map<string, Promise<ort.InferenceSession>>();
let compilations = 0;
let runMs = 0;

/** How many ONNX Runtime sessions have been created in this process (the session cache's misses). */
export function compileCount(): number {
  return compilations;
}

/** Wall time spent inside ONNX Runtime session runs in this process, in ms (for overhead accounting). */
export function engineRunMs(): number {
  return runMs;
}

/**
 * Releases every cached ONNX Runtime session (their native memory: weights are inputs, but each
 * session keeps its arena and planned buffers) and empties the cache. Graphs compiled before
 * are unusable afterwards, so call it only between independent jobs (the pipeline calls it
 * between stages: one process running many stages otherwise keeps every shape it ever compiled).
 */
export async function releaseSessions(): Promise<number> {
  const pending = [...sessionCache.values()];
  sessionCache.clear();
  let released = 0;
  for (const p of pending) {
    const session = await p.catch(() => null);
    if (session) {
      await session.release();
      released++;
    }
  }
  return released;
}

export function defaultThreads(): number {
  const env = Number(process.env.RLVR_THREADS);
  return Number.isInteger(env) && env > 0 ? env : availableParallelism();
}

function sessionOptions(opts: CompileOptions): ort.InferenceSession.SessionOptions {
  const eps = opts.executionProviders ?? (process.env.RLVR_EP ? process.env.RLVR_EP.split(',') : ['cpu']);
  return {
    executionProviders: eps,
    intraOpNumThreads: opts.threads ?? defaultThreads(),
    interOpNumThreads: 1,
    graphOptimizationLevel: 'all',
    executionMode: 'sequential',
    enableCpuMemArena: true,
    enableMemPattern: true,
  };
}

export type Feeds = Record<string, TypedArray>;
export type Results = Record<string, TypedArray>;

/** A graph compiled to an ONNX Runtime session; run it with typed arrays keyed by graph input name. */
export class CompiledGraph {
  private constructor(
    private readonly session: ort.InferenceSession,
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
    const bytes = exportOnnx(
      graph,
      resolved.map(([, t]) => t),
    );
    const options = sessionOptions(opts);
    const key = createHash('sha1').update(bytes).update(JSON.stringify(options)).digest('hex');
    let pending = sessionCache.get(key);
    if (!pending) {
      compilations++;
      pending = ort.InferenceSession.create(bytes, options);
      sessionCache.set(key, pending);
      pending.catch(() => sessionCache.delete(key));
    }
    return new CompiledGraph(await pending, graph.inputs.slice(), resolved);
  }

  async run(feeds: Feeds): Promise<Results> {
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
    const started = performance.now();
    const out = await this.session.run(ortFeeds, [...new Set(this.outputs.map(([, t]) => t.name))]);
    runMs += performance.now() - started;
    const results: Results = {};
    for (const [key, t] of this.outputs) results[key] = out[t.name].data as TypedArray;
    return results;
  }
}

export const compile = CompiledGraph.create;
