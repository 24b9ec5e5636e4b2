import type { Command } from 'commander';
import { registerBench } from './bench.ts';
import { registerModel } from './model.ts';
import { registerVerify } from './verify.ts';
import { registerData } from './data.ts';
import { registerGenerate, registerScore } from './generate.ts';
import { registerEval } from './eval.ts';
import { registerServeModel } from './serve-model.ts';
import { registerServeRewards } from './serve-rewards.ts';
import { registerRejectionSample, registerTrain } from './train.ts';
import { registerAudit } from './audit.ts';
import { registerOrganism } from './organism.ts';
import { registerDemo } from './demo.ts';
import { registerDashboard } from './dashboard.ts';
import { registerPipeline } from './pipeline.ts';
import { registerInterp } from './interp.ts';

/** Every subcommand registers itself here; the CLI entry point stays ignorant of their options. */
export const commandModules: Array<(program: Command) => void> = [registerBench, registerModel, registerData, registerVerify, registerGenerate, registerScore, registerEval, registerServeModel, registerServeRewards, registerOrganism, registerAudit, registerTrain, registerRejectionSample, registerPipeline, registerDemo, registerDashboard, registerInterp];
