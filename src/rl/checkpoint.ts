/**
 * Training checkpoints: the model in Hugging Face format (float32, so a resume continues
 * bit-identically), AdamW's moments, and the trainer's position (step, data cursor).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { CausalLM } from '../model/causal-lm.ts';
import { readSafetensors, writeSafetensors } from '../model/safetensors.ts';
import type { AdamWState } from '../tensor/index.ts';
import { writeFileAtomic } from '../util/atomic.ts';
import { UserError } from '../util/errors.ts';
import type { RunDir } from '../runs/index.ts';

export interface TrainerState {
  /** Training steps completed. */
  step: number;
  /** Prompts (or examples) consumed from the data order. */
  cursor: number;
}

export function saveTrainingCheckpoint(run: RunDir, lm: CausalLM, optimizer: AdamWState, state: TrainerState): string {
  return run.saveCheckpoint(state.step, (dir) => {
    lm.save(dir, { dtype: 'F32' });
    writeSafetensors(
      join(dir, 'optimizer.safetensors'),
      new Map([
        ['exp_avg', { dtype: 'F32', shape: [optimizer.m.length], data: optimizer.m }],
        ['exp_avg_sq', { dtype: 'F32', shape: [optimizer.v.length], data: optimizer.v }],
      ]),
      { dtype: 'F32', metadata: { optimizer: 'AdamW', step: String(optimizer.step) } },
    );
    // written last: its presence marks the checkpoint complete
    writeFileAtomic(join(dir, 'trainer_state.json'), JSON.stringify({ ...state, optimizer_step: optimizer.step }, null, 2) + '\n');
  });
}

export function loadTrainingCheckpoint(dir: string): { state: TrainerState; optimizer: AdamWState } {
  const raw = JSON.parse(readFileSync(join(dir, 'trainer_state.json'), 'utf8')) as TrainerState & { optimizer_step: number };
  const { tensors } = readSafetensors(join(dir, 'optimizer.safetensors'));
  const m = tensors.get('exp_avg');
  const v = tensors.get('exp_avg_sq');
  if (!m || !v) throw new UserError(`${dir}/optimizer.safetensors: missing exp_avg or exp_avg_sq`);
  return {
    state: { step: raw.step, cursor: raw.cursor },
    optimizer: { step: raw.optimizer_step, m: m.data as Float32Array, v: v.data as Float32Array },
  };
}
