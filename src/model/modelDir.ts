/** Loading a Hugging Face model directory's config and weights, validated before any data is read. */
import { join } from 'node:path';
import { type TensorInfo, loadCheckpoint, readCheckpointInfo } from './checkpoint.ts';
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
