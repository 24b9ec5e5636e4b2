/** The exploration block of an evaluation's results: set metrics per problem size and the fitted decay of success with size. */
import { bootstrapMeanCI, type BootstrapOptions } from '../eval/bootstrap.ts';
import { fitDecay, type DecayFit } from './decay.ts';
import { gradeSet } from './grade.ts';
import { parseSpec, specSize, type ExplorationSpec } from './tasks.ts';

type Estimate = { value: number; ci: [number, number] };

export interface SizeRow {
  size: number;
  items: number;
  samples: number;
  /** Share of samples listing exactly the full solution set (the answer-level success). */
  success_rate: Estimate;
  completeness: Estimate;
  valid_ratio: Estimate;
  duplicates_per_response: number;
  invalid_per_response: number;
  mean_solutions: number;
}

export interface ExplorationReport {
  tasks: string[];
  by_size: SizeRow[];
  decay: DecayFit | null;
}

const mean = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;

/** Items whose gold is an exploration spec, with their responses; null when there are none. */
export function explorationReport(
  items: ReadonlyArray<{ answer: string }>,
  responses: ReadonlyArray<readonly string[]>,
  bootstrap: BootstrapOptions = {},
): ExplorationReport | null {
  const bySize = new Map<number, Array<{ spec: ExplorationSpec; grades: ReturnType<typeof gradeSet>[] }>>();
  items.forEach((item, t) => {
    const spec = parseSpec(item.answer);
    if (!spec) return;
    const size = specSize(spec);
    if (!bySize.has(size)) bySize.set(size, []);
    bySize.get(size)!.push({ spec, grades: responses[t].map((r) => gradeSet(spec, r)) });
  });
  if (bySize.size === 0) return null;
  const tasks = new Set<string>();
  const rows: SizeRow[] = [];
  const counts = [];
  for (const size of [...bySize.keys()].sort((a, b) => a - b)) {
    const group = bySize.get(size)!;
    group.forEach((g) => tasks.add(g.spec.exploration));
    const perItem = (f: (g: ReturnType<typeof gradeSet>) => number) => group.map((g) => mean(g.grades.map(f)));
    const est = (values: number[]): Estimate => ({ value: mean(values), ci: bootstrapMeanCI(values, bootstrap) });
    const all = group.flatMap((g) => g.grades);
    rows.push({
      size,
      items: group.length,
      samples: all.length,
      success_rate: est(perItem((g) => Number(g.exact))),
      completeness: est(perItem((g) => g.completeness)),
      valid_ratio: est(perItem((g) => g.validRatio)),
      duplicates_per_response: mean(all.map((g) => g.duplicates)),
      invalid_per_response: mean(all.map((g) => g.invalid)),
      mean_solutions: mean(group.map((g) => g.grades[0]?.total ?? 0)),
    });
    counts.push({ size, items: group.map((g) => ({ successes: g.grades.filter((x) => x.exact).length, samples: g.grades.length })) });
  }
  return { tasks: [...tasks].sort(), by_size: rows, decay: fitDecay(counts, bootstrap) };
}
