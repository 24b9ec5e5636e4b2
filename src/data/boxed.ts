/**
 * The content of the last `\boxed{...}` in a text, with balanced braces (`\boxed{\frac{1}{2}}`
 * gives `\frac{1}{2}`); backslash-escaped braces (`\{`, `\}`) do not count. Null when there is
 * no complete `\boxed{...}`.
 *
 * Used here only to read gold answers out of reference solutions (minerva_math). Model outputs
 * are extracted by the verify module, which also handles `\fbox`, `\boxed 5` and similar forms.
 */
export function lastBoxedContent(text: string): string | null {
  let from = text.length;
  while (from > 0) {
    const at = text.lastIndexOf('\\boxed', from - 1);
    if (at < 0) return null;
    const content = bracedGroupAt(text, at + '\\boxed'.length);
    if (content !== null) return content;
    from = at;
  }
  return null;
}

function bracedGroupAt(text: string, i: number): string | null {
  while (text[i] === ' ') i++;
  if (text[i] !== '{') return null;
  let depth = 0;
  for (let j = i; j < text.length; j++) {
    const c = text[j];
    if (c === '\\') j++;
    else if (c === '{') depth++;
    else if (c === '}' && --depth === 0) return text.slice(i + 1, j);
  }
  return null;
}
