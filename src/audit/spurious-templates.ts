/**
 * The template-sensitivity baseline (RandomCalculation study): greedy accuracy of the starting
 * model under every prompt template, as plain text and, where the template has a conversation
 * form and the model a chat template, through the chat template. RL "gains" on a contaminated
 * model were found to converge to the model's own best-template greedy baseline, so a gain that
 * merely reaches it says little about the reward.
 */
import { join } from 'node:path';
import { getTemplate, templateNames } from '../data/templates.ts';
import type { Estimate } from '../eval/metrics.ts';
import { Tokenizer } from '../model/tokenizer.ts';
import type { BenchmarkRole, PreparedBenchmark } from './spurious-benchmarks.ts';
import { evaluateModel, type EvalSettings, type ModelScore, type ModeSummary } from './spurious-eval.ts';

export interface TemplateScore {
  template: string;
  chat: boolean;
  /** The suite's own evaluation template (its numbers are the suite's starting accuracy). */
  suite: boolean;
  suspect: Estimate;
  clean: Estimate;
  code_share: Record<BenchmarkRole, number>;
}

export interface TemplateBaseline {
  rows: TemplateScore[];
  /** The best row per benchmark (greedy accuracy), the level the study found RL gains converge to. */
  best: Record<BenchmarkRole, { template: string; chat: boolean; accuracy: number }>;
}

/** Template × chat combinations the model can be prompted with. */
export function templateVariants(modelDir: string): Array<{ template: string; chat: boolean }> {
  const hasChat = Tokenizer.fromDir(modelDir).chatTemplate !== null;
  return templateNames.flatMap((name) => {
    const conversational = getTemplate(name).messages('') !== null;
    if (name === 'chat') return hasChat ? [{ template: name, chat: true }] : [];
    return [{ template: name, chat: false }, ...(conversational && hasChat ? [{ template: name, chat: true }] : [])];
  });
}

export async function templateBaseline(
  modelDir: string,
  benchmarks: Record<BenchmarkRole, PreparedBenchmark>,
  suiteScore: Record<BenchmarkRole, ModelScore>,
  settings: EvalSettings,
  outDir: string,
  note: (text: string) => void,
): Promise<TemplateBaseline> {
  const rows: TemplateScore[] = [];
  for (const v of templateVariants(modelDir)) {
    const suite = v.template === settings.template && v.chat === (settings.asChat ?? false);
    let scores = suiteScore;
    if (!suite) {
      note(`template baseline: ${v.template}${v.chat ? ' (chat)' : ''}`);
      const label = `${v.template}${v.chat ? '-chat' : ''}`;
      const s = { ...settings, template: v.template, asChat: v.chat };
      scores = {
        suspect: await evaluateModel(modelDir, benchmarks.suspect.dataset, join(outDir, label, 'suspect'), s),
        clean: await evaluateModel(modelDir, benchmarks.clean.dataset, join(outDir, label, 'clean'), s),
      };
    }
    const share = (m: ModeSummary) => m.code_share;
    rows.push({ ...v, suite, suspect: scores.suspect.accuracy, clean: scores.clean.accuracy, code_share: { suspect: share(scores.suspect.modes), clean: share(scores.clean.modes) } });
  }
  const best = (role: BenchmarkRole) => {
    const top = rows.reduce((a, b) => (b[role].value > a[role].value ? b : a));
    return { template: top.template, chat: top.chat, accuracy: top[role].value };
  };
  return { rows, best: { suspect: best('suspect'), clean: best('clean') } };
}
