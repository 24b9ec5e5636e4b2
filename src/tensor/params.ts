import { ShapeError } from './errors.ts';
import { fmt, sizeOf, type Shape } from './shape.ts';

export interface ParamSpec {
  name: string;
  shape: Shape;
}

/**
 * All trainable float32 parameters in one flat buffer, each a view into it. One buffer lets the
 * optimizer run a single fused loop and lets checkpoints and resumes copy state in one piece.
 */
export class ParamStore {
  readonly data: Float32Array;
  readonly specs: readonly ParamSpec[];
  private readonly offsets = new Map<string, number>();

  constructor(specs: readonly ParamSpec[]) {
    let total = 0;
    for (const s of specs) {
      if (this.offsets.has(s.name)) throw new ShapeError(`parameter '${s.name}' is declared twice`);
      this.offsets.set(s.name, total);
      total += sizeOf(s.shape);
    }
    this.specs = specs.map((s) => ({ name: s.name, shape: [...s.shape] }));
    this.data = new Float32Array(total);
  }

  static from(tensors: ReadonlyMap<string, { shape: Shape; data: Float32Array }>): ParamStore {
    const store = new ParamStore([...tensors].map(([name, t]) => ({ name, shape: t.shape })));
    for (const [name, t] of tensors) store.set(name, t.data);
    return store;
  }

  has(name: string): boolean {
    return this.offsets.has(name);
  }

  offset(name: string): number {
    const off = this.offsets.get(name);
    if (off === undefined) throw new ShapeError(`unknown parameter '${name}'`);
    return off;
  }

  spec(name: string): ParamSpec {
    return this.specs[this.specs.findIndex((s) => s.name === name)] ?? this.fail(name);
  }

  /** A live view of one parameter (writes go to the store). */
  view(name: string): Float32Array {
    const off = this.offset(name);
    return this.data.subarray(off, off + sizeOf(this.spec(name).shape));
  }

  set(name: string, values: Float32Array): void {
    const view = this.view(name);
    if (values.length !== view.length) {
      throw new ShapeError(`parameter '${name}' ${fmt(this.spec(name).shape)} needs ${view.length} values, got ${values.length}`);
    }
    view.set(values);
  }

  /** A zeroed buffer with the same layout (for gradients, optimizer moments). */
  like(): Float32Array {
    return new Float32Array(this.data.length);
  }

  clone(): ParamStore {
    const copy = new ParamStore(this.specs);
    copy.data.set(this.data);
    return copy;
  }

  private fail(name: string): never {
    throw new ShapeError(`unknown parameter '${name}'`);
  }
}
