export * from './dtype.ts';
export { ShapeError, NoGradientError } from './errors.ts';
export { Graph, Tensor, type Node } from './graph.ts';
export * from './ops.ts';
export { grad, unbroadcast } from './grad.ts';
export { compile, compileCount, defaultThreads, CompiledGraph, type CompileOptions, type Feeds, type Results } from './session.ts';
export { sizeOf, type Shape } from './shape.ts';
