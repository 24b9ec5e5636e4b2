/**
 * Area under the ROC curve of a score against binary labels, by the Mann–Whitney U statistic:
 * AUROC = P(score of a positive > score of a negative) + ½·P(equal), computed from mid-ranks
 * (tied scores share the mean of their ranks): (R₊ − n₊(n₊+1)/2) / (n₊·n₋), where R₊ is the sum
 * of the positives' ranks. Null when either class is empty (the area is undefined).
 */
export function auroc(scores: readonly number[], labels: readonly boolean[]): number | null {
  if (scores.length !== labels.length)
    throw new RangeError(`auroc: ${scores.length} scores but ${labels.length} labels`);
  const nPos = labels.filter((l) => l).length;
  const nNeg = labels.length - nPos;
  if (nPos === 0 || nNeg === 0) return null;
  for (const s of scores) if (Number.isNaN(s)) throw new RangeError('auroc: a score is NaN');
  const order = scores.map((_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let rankSumPos = 0;
  for (let start = 0; start < order.length;) {
    let end = start;
    while (end + 1 < order.length && scores[order[end + 1]] === scores[order[start]]) end++;
    const midRank = (start + end) / 2 + 1;
    for (let k = start; k <= end; k++) if (labels[order[k]]) rankSumPos += midRank;
    start = end + 1;
  }
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}
