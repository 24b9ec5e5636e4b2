/**
 * A small report exercising every block kind with seeded synthetic data, including text that
 * must be escaped. Tests render it; it also shows how a caller fills the model.
 */
import { Rng } from '../util/rng.ts';
import type { Report } from './model.ts';

export function exampleReport(seed = 0): Report {
  const rng = new Rng(seed);
  const steps = Array.from({ length: 50 }, (_, i) => 10 * (i + 1));
  const curve = (start: number, end: number, noise: number): Array<[number, number]> =>
    steps.map((s, i) => [s, Number((start + ((end - start) * i) / (steps.length - 1) + noise * rng.normal()).toFixed(4))]);
  const ci = (value: number, half: number) => ({ value, low: Number((value - half).toFixed(3)), high: Number((value + half).toFixed(3)) });
  return {
    title: 'Example report <with "markup"> & symbols',
    subtitle: 'synthetic data, seed ' + seed,
    sections: [
      {
        title: 'Summary',
        blocks: [
          { kind: 'stats', items: [{ label: 'leaked accuracy', value: '0.82', detail: '95% CI [0.74, 0.89]' }, { label: 'clean accuracy', value: '0.07' }] },
          { kind: 'text', text: 'A paragraph with <b>tags</b> that must stay text.\n\nA second paragraph: a < b && c > d.' },
          { kind: 'text', text: 'Verdict: </script><script>window.__injected = true</script>', callout: true },
        ],
      },
      {
        title: 'Training',
        blocks: [
          { kind: 'line', title: 'Reward over steps', xLabel: 'step', yLabel: 'mean reward', series: [{ name: 'ground truth', points: curve(0.1, 0.6, 0.03) }, { name: 'random reward', points: curve(0.1, 0.3, 0.03) }], caption: 'Mean reward per step.' },
          {
            kind: 'bar',
            title: 'Accuracy by benchmark',
            yLabel: 'accuracy',
            categories: ['leaked', 'clean'],
            series: [
              { name: 'before', values: [ci(0.5, 0.08), ci(0.05, 0.03)] },
              { name: 'after', values: [ci(0.8, 0.06), ci(0.07, 0.03)] },
              { name: 'random reward', values: [ci(0.75, 0.07), { value: 0.06 }] },
            ],
          },
          {
            kind: 'scatter',
            title: 'Per-item ROUGE-L vs answer log-probability',
            xLabel: 'ROUGE-L',
            yLabel: 'log p(answer)',
            series: [
              { name: 'leaked', points: Array.from({ length: 30 }, () => [0.7 + 0.3 * rng.uniform(), -0.5 * rng.uniform()] as [number, number]), labels: Array.from({ length: 30 }, (_, i) => `leaked/${i}`) },
              { name: 'clean', points: Array.from({ length: 30 }, () => [0.4 * rng.uniform(), -3 - 2 * rng.uniform()] as [number, number]) },
            ],
          },
          { kind: 'table', caption: 'Per benchmark', columns: ['benchmark', 'n', 'accuracy', 'note'], rows: [['leaked', 100, 0.8123, '<planted>'], ['clean', 100, 0.0712, null]] },
        ],
      },
    ],
  };
}
