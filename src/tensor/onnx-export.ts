import onnxProto, { type onnx as OnnxTypes } from 'onnx-proto';

const { onnx } = onnxProto;
import { onnxDataType } from './dtype.ts';
import type { AttrValue, Graph, Node, Tensor } from './graph.ts';

export const OPSET = 18;

function valueInfo(t: Tensor): OnnxTypes.IValueInfoProto {
  return {
    name: t.name,
    type: { tensorType: { elemType: onnxDataType[t.dtype], shape: { dim: t.shape.map((d) => ({ dimValue: d })) } } },
  };
}

function attribute(name: string, v: AttrValue): OnnxTypes.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') return { name, type: T.INT, i: v };
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return { name, type: T.INTS, ints: v };
  return { name, type: T.FLOAT, f: v.float };
}

/** The nodes needed to compute `outputs`, in graph order (everything else is dropped from the export). */
export function liveNodes(graph: Graph, outputs: readonly Tensor[]): Node[] {
  const producer = new Map<string, Node>();
  for (const n of graph.nodes) for (const o of n.outputs) producer.set(o.name, n);
  const live = new Set<Node>();
  const stack = outputs.map((t) => t.name);
  while (stack.length) {
    const n = producer.get(stack.pop() as string);
    if (!n || live.has(n)) continue;
    live.add(n);
    for (const t of n.inputs) if (t) stack.push(t.name);
  }
  return graph.nodes.filter((n) => live.has(n));
}

/**
 * Serializes the part of `graph` that computes `outputs` as an ONNX ModelProto. Graph inputs that
 * the outputs do not depend on are still declared, so every compiled graph takes the same feeds.
 */
export function exportOnnx(graph: Graph, outputs: readonly Tensor[]): Uint8Array {
  const nodes = liveNodes(graph, outputs);
  const used = new Set<string>(outputs.map((t) => t.name));
  for (const n of nodes) for (const t of n.inputs) if (t) used.add(t.name);
  const initializer = graph.constants
    .filter((c) => used.has(c.tensor.name))
    .map(
      (c): OnnxTypes.ITensorProto => ({
        name: c.tensor.name,
        dataType: onnxDataType[c.tensor.dtype],
        dims: [...c.tensor.shape],
        rawData: new Uint8Array(c.data.buffer, c.data.byteOffset, c.data.byteLength),
      }),
    );
  const model: OnnxTypes.IModelProto = {
    irVersion: 8,
    producerName: 'rlvr-lab',
    opsetImport: [
      { domain: '', version: OPSET },
      { domain: 'com.microsoft', version: 1 },
    ],
    graph: {
      name: 'rlvr',
      input: graph.inputs.map(valueInfo),
      output: outputs.map(valueInfo),
      initializer,
      node: nodes.map(
        (n): OnnxTypes.INodeProto => ({
          opType: n.opType,
          domain: n.domain ?? '',
          input: n.inputs.map((t) => (t ? t.name : '')),
          output: n.outputs.map((t) => t.name),
          attribute: Object.entries(n.attrs).map(([k, v]) => attribute(k, v)),
        }),
      ),
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}
