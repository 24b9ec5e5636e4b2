/** One evaluation item, whatever file it came from. */
export interface BenchmarkItem {
  /** Unique within the dataset, e.g. `math500/17`. */
  id: string;
  problem: string;
  /** The gold answer as the source writes it; numbers keep their source text (`27.0`, not `27`). */
  answer: string;
  subject?: string;
  level?: number | string;
  /** Source fields the item does not map (solution, url, unit, ...), per dataset. */
  meta: Record<string, unknown>;
}
