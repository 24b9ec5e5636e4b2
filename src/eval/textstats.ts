/** "Code reasoning" as in the spurious-rewards study (arXiv 2506.10947): the response contains `python` (lowercase, anywhere). */
export function mentionsPython(response: string): boolean {
  return response.includes('python');
}

/** A fenced Markdown code block: an opening ``` line and a later closing ```. */
export function hasFencedCodeBlock(response: string): boolean {
  return /(^|\n)[ \t]*```[^\n]*\n[\s\S]*?```/.test(response);
}

export type SolutionMode = 'code' | 'prose';
export const SOLUTION_MODES: readonly SolutionMode[] = ['code', 'prose'];

/**
 * The solution mode of a response: `code` when it reasons in code — mentions `python` (the
 * spurious-rewards study's "code reasoning") or holds a fenced code block — else `prose`.
 */
export function solutionMode(response: string): SolutionMode {
  return mentionsPython(response) || hasFencedCodeBlock(response) ? 'code' : 'prose';
}
