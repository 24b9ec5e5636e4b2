/** Per-template answer-format compliance and default answer extraction for an evaluation. */
import { boxedFormat, format } from '../rewards/text.ts';
import type { Reward } from '../rewards/types.ts';
import { UserError } from '../util/errors.ts';
import { EXTRACTION_PRESETS, EXTRACTORS, type Extractor } from '../verify/extract.ts';

/**
 * Whether a response follows the template's answer format: `qwen-boxed` a non-empty \boxed{},
 * `r1-zero` the whole response as <think>…</think><answer>…</answer> (the R1 format reward);
 * `chat` and `none` ask for no format, so an extracted answer is compliance.
 */
export function formatCheck(
  template: string,
): (response: string, extracted: string | null) => Promise<boolean> {
  const reward: Reward | null =
    template === 'qwen-boxed' ? boxedFormat() : template === 'r1-zero' ? format() : null;
  if (!reward) return async (_response, extracted) => extracted !== null;
  return async (response) => (await reward.score({ prompt: '', responses: [response] }))[0].score === 1;
}

/**
 * `spec` is a preset name (math, gsm8k, r1, lenient, cli, answer) or a comma-separated list of
 * extractors; without one, r1-zero prompts read <answer> tags first, GSM8K reads `#### N` first,
 * everything else uses the `math` preset.
 */
export function extractorsFor(
  spec: string | null,
  dataset: string,
  template: string,
): { name: string; extractors: readonly Extractor[] } {
  if (spec === null) {
    const name = template === 'r1-zero' ? 'r1' : dataset === 'gsm8k' ? 'gsm8k' : 'math';
    return { name, extractors: EXTRACTION_PRESETS[name] };
  }
  if (Object.hasOwn(EXTRACTION_PRESETS, spec)) return { name: spec, extractors: EXTRACTION_PRESETS[spec] };
  const names = spec.split(',').map((s) => s.trim());
  const unknown = names.find((n) => !(EXTRACTORS as readonly string[]).includes(n));
  if (unknown !== undefined || names.length === 0) {
    throw new UserError(
      `--extraction '${spec}': '${unknown}' is neither a preset (${Object.keys(EXTRACTION_PRESETS).join(', ')}) nor an extractor (${EXTRACTORS.join(', ')})`,
    );
  }
  return { name: names.join(','), extractors: names as Extractor[] };
}
