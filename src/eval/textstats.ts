/** "Code reasoning" as in the spurious-rewards study (arXiv 2506.10947): the response contains `python` (lowercase, anywhere). */
export function mentionsPython(response: string): boolean {
  return response.includes('python');
}

/** A fenced Markdown code block: an opening ``` line and a later closing ```. */
export function hasFencedCodeBlock(response: string): boolean {
  return /(^|\n)[ \t]*```[^\n]*\n[\s\S]*?```/.test(response);
}
