/** Whether two extracted answers are the same answer (e.g. the verifier's equivalence). */
export type Equivalent = (a: string, b: string) => boolean | Promise<boolean>;

export interface VoteResult {
  /** Index (into the votes) of the winning cluster's first member, or null when no answer was extracted. */
  winner: number | null;
  /** Size of the winning cluster. */
  votes: number;
  /** Number of answer clusters among the extracted answers. */
  clusters: number;
}

/**
 * Majority vote over equivalence classes of answers.
 *
 * Answers are clustered in order: each joins the first existing cluster whose first member it is
 * equivalent to, else starts a new cluster. The largest cluster wins; among equally large clusters
 * the one started first wins. Null (unextracted) answers are not votes: they join no cluster, so
 * they can never win, and when every answer is null there is no winner.
 */
export async function majorityVote(answers: ReadonlyArray<string | null>, equivalent: Equivalent): Promise<VoteResult> {
  const clusters: { first: number; size: number }[] = [];
  for (let i = 0; i < answers.length; i++) {
    const answer = answers[i];
    if (answer === null) continue;
    let joined = false;
    for (const cluster of clusters) {
      if (await equivalent(answers[cluster.first]!, answer)) {
        cluster.size++;
        joined = true;
        break;
      }
    }
    if (!joined) clusters.push({ first: i, size: 1 });
  }
  let best: { first: number; size: number } | null = null;
  for (const cluster of clusters) if (best === null || cluster.size > best.size) best = cluster;
  return { winner: best?.first ?? null, votes: best?.size ?? 0, clusters: clusters.length };
}
