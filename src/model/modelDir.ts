/** Loading a Hugging Face model directory's config and weights, validated before any data is read. */
import { join } from 'node:path';
import { ParamStore } from '../tensor/params.ts';
import { type TensorInfo, forEachTensor, loadCheckpoint, readCheckpointInfo } from './checkpoint.ts';
import { type ModelConfig, readModelConfig, validateCheckpoint } from './config.ts';
import type { LoadedTensor } from './safetensors.ts';

export interface LoadedModelDir {
  dir: string;
  config: ModelConfig;
  /** Exactly the parameters of `parameterShapes(config)` (tensors transformers ignores are not read). */
  tensors: Map<string, LoadedTensor>;
}

/** Reads config.json, checks every tensor header against it (UserError listing all problems), then reads the weights. */
export function loadModelDir(dir: string): LoadedModelDir {
  const config = readModelConfig(join(dir, 'config.json'));
  const infos: Map<string, TensorInfo> = readCheckpointInfo(dir);
  const ignored = new Set(validateCheckpoint(config, infos, dir));
  const wanted = new Set([...infos.keys()].filter((name) => !ignored.has(name)));
  return { dir, config, tensors: loadCheckpoint(dir, wanted) };
}

/**
 * Like `loadModelDir`, but streams the weights straight into one flat float32 parameter store:
 * peak memory is the store plus one tensor, not twice the model.
 */
export function loadModelParams(dir: string): { config: ModelConfig; params: ParamStore } {
  const config = readModelConfig(join(dir, 'config.json'));
  const infos: Map<string, TensorInfo> = readCheckpointInfo(dir);
  const ignored = new Set(validateCheckpoint(config, infos, dir));
  const names = [...infos.keys()].filter((name) => !ignored.has(name));
  const params = new ParamStore(names.map((name) => ({ name, shape: infos.get(name)!.shape })));
  forEachTensor(dir, new Set(names), (name, tensor) => params.set(name, tensor.data as Float32Array));
  return { config, params };
}
