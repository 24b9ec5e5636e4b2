/** Brace-aware helpers for scanning LaTeX strings; every scan is linear in the input length. */

/** Index of the brace closing the one at `open` ('{', '(' or '['), honouring `\{` escapes; -1 when unbalanced. */
export function matchClose(s: string, open: number): number {
  const opener = s[open];
  const closer = opener === '{' ? '}' : opener === '(' ? ')' : ']';
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      i++;
      continue;
    }
    if (c === opener) depth++;
    else if (c === closer && --depth === 0) return i;
  }
  return -1;
}

/** Maximum nesting depth of {}, () and [] (unescaped), used to reject pathological inputs early. */
export function maxDepth(s: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') i++;
    else if (c === '{' || c === '(' || c === '[') max = Math.max(max, ++depth);
    else if (c === '}' || c === ')' || c === ']') depth = Math.max(0, depth - 1);
  }
  return max;
}

/**
 * Splits `s` on `sep` occurring outside any bracket pair ({}, (), [], \{\}, and
 * environments' & rows are the caller's business).
 */
export function splitTopLevel(s: string, sep: string): string[] {
  const parts: string[] = [];
  let depth = 0;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '\\') {
      if (s[i + 1] === '{' || s[i + 1] === '(' || s[i + 1] === '[') depth++;
      else if (s[i + 1] === '}' || s[i + 1] === ')' || s[i + 1] === ']') depth--;
      else if (depth === 0 && s.startsWith(sep, i)) {
        parts.push(s.slice(start, i));
        start = i + sep.length;
        i += sep.length - 1;
        continue;
      }
      i++;
      continue;
    }
    if (c === '{' || c === '(' || c === '[') depth++;
    else if (c === '}' || c === ')' || c === ']') depth--;
    else if (depth === 0 && s.startsWith(sep, i)) {
      parts.push(s.slice(start, i));
      start = i + sep.length;
      i += sep.length - 1;
    }
  }
  parts.push(s.slice(start));
  return parts;
}

/**
 * Reads one macro argument starting at `i` (after optional spaces): a braced group or a single
 * token (one character, or one control word). Returns the argument text and the index after it.
 */
export function readArgument(s: string, i: number): { arg: string; end: number } | null {
  while (s[i] === ' ') i++;
  if (i >= s.length) return null;
  if (s[i] === '{') {
    const close = matchClose(s, i);
    return close < 0 ? null : { arg: s.slice(i + 1, close), end: close + 1 };
  }
  if (s[i] === '\\') {
    const m = /^\\([A-Za-z]+|.)/.exec(s.slice(i, i + 64));
    return m ? { arg: m[0], end: i + m[0].length } : null;
  }
  return { arg: s[i], end: i + 1 };
}
