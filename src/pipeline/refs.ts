/**
 * References inside a recipe: `${stages.NAME.OUTPUT}` (a path an earlier stage writes) and
 * `${vars.NAME}` (a recipe variable). A string that is exactly one reference takes the
 * referenced value as is; otherwise references are interpolated into the string.
 */
export type Ref = { kind: 'stage'; stage: string; output: string; text: string } | { kind: 'var'; name: string; text: string };

export interface FoundRef {
  /** Dotted key path inside the stage, e.g. config.model. */
  key: string;
  ref: Ref;
}

const REF = /\$\{([^}]*)\}/g;

/** Parses one `${…}` body; an error message when it is not a known form. */
export function parseRef(body: string, text: string): Ref | string {
  const parts = body.trim().split('.');
  if (parts[0] === 'stages' && parts.length === 3 && parts[1] && parts[2]) return { kind: 'stage', stage: parts[1], output: parts[2], text };
  if (parts[0] === 'vars' && parts.length === 2 && parts[1]) return { kind: 'var', name: parts[1], text };
  return `unknown reference '${text}' (use \${stages.NAME.OUTPUT} or \${vars.NAME})`;
}

/** Every reference in a value, with its key path; malformed ones are reported through `problem`. */
export function findRefs(value: unknown, problem: (key: string, message: string) => void, key = ''): FoundRef[] {
  if (typeof value === 'string') {
    const out: FoundRef[] = [];
    for (const m of value.matchAll(REF)) {
      const ref = parseRef(m[1], m[0]);
      if (typeof ref === 'string') problem(key, ref);
      else out.push({ key, ref });
    }
    const stripped = value.replace(REF, '');
    if (stripped.includes('${')) problem(key, `unterminated reference in '${value}'`);
    return out;
  }
  if (Array.isArray(value)) return value.flatMap((v, i) => findRefs(v, problem, key ? `${key}.${i}` : String(i)));
  if (value !== null && typeof value === 'object') {
    return Object.entries(value).flatMap(([k, v]) => findRefs(v, problem, key ? `${key}.${k}` : k));
  }
  return [];
}

/** The value with every reference replaced through `lookup`. */
export function substitute(value: unknown, lookup: (ref: Ref) => unknown): unknown {
  if (typeof value === 'string') {
    const whole = /^\$\{([^}]*)\}$/.exec(value);
    if (whole) {
      const ref = parseRef(whole[1], value);
      if (typeof ref !== 'string') return lookup(ref);
    }
    return value.replace(REF, (text, body: string) => {
      const ref = parseRef(body, text);
      return typeof ref === 'string' ? text : String(lookup(ref));
    });
  }
  if (Array.isArray(value)) return value.map((v) => substitute(v, lookup));
  if (value !== null && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, lookup)]));
  return value;
}
