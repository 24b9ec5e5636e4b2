import { allocate, type DType, type TypedArray } from './dtype.ts';
import { ShapeError } from './errors.ts';
import { fmt, sizeOf, type Shape } from './shape.ts';

/** An ONNX attribute: integers, an integer list, a string, or a float (wrapped so it is not taken for an int). */
export type AttrValue = number | number[] | string | { float: number };

/** A traced value: a name in a graph with a static dtype and shape. */
export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly dtype: DType,
    readonly shape: Shape,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  toString(): string {
    return `${this.name}: ${this.dtype}${fmt(this.shape)}`;
  }
}

export interface Node {
  /** ONNX op type (plus `domain` when not the default one). */
  opType: string;
  domain?: string;
  inputs: Array<Tensor | null>;
  outputs: Tensor[];
  attrs: Record<string, AttrValue>;
  /** What the gradient rule needs to know beyond inputs and attributes (e.g. reduce axes as numbers). */
  meta: Record<string, unknown>;
  /** Gradient-rule key; defaults to opType. 'StopGradient' and rule-less ops block gradients. */
  rule: string;
}

export interface ConstantValue {
  tensor: Tensor;
  data: TypedArray;
}

/** A traced computation: inputs, nodes in creation (= topological) order, constants. */
export class Graph {
  readonly inputs: Tensor[] = [];
  readonly nodes: Node[] = [];
  readonly constants: ConstantValue[] = [];
  private readonly scalarCache = new Map<string, Tensor>();
  private counter = 0;

  /** A fresh, graph-unique value name with a readable prefix. */
  fresh(prefix: string): string {
    return `${prefix}_${this.counter++}`;
  }

  input(name: string, dtype: DType, shape: Shape): Tensor {
    if (this.inputs.some((t) => t.name === name)) throw new ShapeError(`graph input '${name}' is declared twice`);
    for (const d of shape) {
      if (!Number.isInteger(d) || d < 0) throw new ShapeError(`graph input '${name}': invalid shape ${fmt(shape)}`);
    }
    const t = new Tensor(this, name, dtype, [...shape]);
    this.inputs.push(t);
    return t;
  }

  constant(data: TypedArray, dtype: DType, shape: Shape): Tensor {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError(`constant: ${data.length} values do not fill shape ${fmt(shape)}`);
    }
    const t = new Tensor(this, this.fresh('const'), dtype, [...shape]);
    this.constants.push({ tensor: t, data });
    return t;
  }

  /** A 0-d constant, shared between uses of the same value and dtype. */
  scalar(value: number, dtype: DType): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.scalarCache.get(key);
    if (!t) {
      const data = allocate(dtype, 1);
      if (data instanceof BigInt64Array) data[0] = BigInt(value);
      else data[0] = value;
      t = this.constant(data, dtype, []);
      this.scalarCache.set(key, t);
    }
    return t;
  }

  /** A 1-d int64 constant (shapes, axes, indices for ONNX ops that take them as inputs). */
  ints(values: readonly number[]): Tensor {
    return this.constant(BigInt64Array.from(values, (v) => BigInt(v)), 'int64', [values.length]);
  }

  addNode(
    opType: string,
    inputs: Array<Tensor | null>,
    outputs: Array<{ dtype: DType; shape: Shape }>,
    attrs: Record<string, AttrValue> = {},
    extra: { meta?: Record<string, unknown>; rule?: string; domain?: string } = {},
  ): Tensor[] {
    for (const t of inputs) {
      if (t && t.graph !== this) throw new ShapeError(`${opType}: input ${t.name} belongs to another graph`);
    }
    const outs = outputs.map((o) => new Tensor(this, this.fresh(opType.toLowerCase()), o.dtype, [...o.shape]));
    this.nodes.push({
      opType,
      domain: extra.domain,
      inputs,
      outputs: outs,
      attrs,
      meta: extra.meta ?? {},
      rule: extra.rule ?? opType,
    });
    return outs;
  }
}
