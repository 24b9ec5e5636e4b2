import { rat, type Rational } from './rational.ts';

/**
 * A unit written after an answer's value. Units of one dimension convert exactly (2 hours =
 * 120 minutes); different dimensions, or different counted nouns (apples vs oranges), never
 * compare equal. Normalization drops units, so this is checked on the raw answers.
 */
export interface Unit {
  /** Canonical name with its power: "cm^2", "noun:apple". */
  key: string;
  /** What it measures with its power: "length^2", "time", "noun:apple". */
  dim: string;
  /** Size in the dimension's base unit (m, s, g, ml, cent, degree), exact. */
  factor: Rational;
}

type Base = { dim: string; factor: [bigint, bigint] };

const BASES: Record<string, Base> = {
  mm: { dim: 'length', factor: [1n, 1000n] },
  cm: { dim: 'length', factor: [1n, 100n] },
  m: { dim: 'length', factor: [1n, 1n] },
  km: { dim: 'length', factor: [1000n, 1n] },
  inch: { dim: 'length', factor: [127n, 5000n] },
  foot: { dim: 'length', factor: [381n, 1250n] },
  yard: { dim: 'length', factor: [1143n, 1250n] },
  mile: { dim: 'length', factor: [201168n, 125n] },
  second: { dim: 'time', factor: [1n, 1n] },
  minute: { dim: 'time', factor: [60n, 1n] },
  hour: { dim: 'time', factor: [3600n, 1n] },
  day: { dim: 'time', factor: [86400n, 1n] },
  week: { dim: 'time', factor: [604800n, 1n] },
  // Months and years have no fixed length: each is its own dimension.
  month: { dim: 'month', factor: [1n, 1n] },
  year: { dim: 'year', factor: [1n, 1n] },
  mg: { dim: 'mass', factor: [1n, 1000n] },
  g: { dim: 'mass', factor: [1n, 1n] },
  kg: { dim: 'mass', factor: [1000n, 1n] },
  pound: { dim: 'mass', factor: [45359237n, 100000n] },
  ounce: { dim: 'mass', factor: [45359237n, 1600000n] },
  ml: { dim: 'volume', factor: [1n, 1n] },
  l: { dim: 'volume', factor: [1000n, 1n] },
  gallon: { dim: 'gallon', factor: [1n, 1n] },
  cent: { dim: 'money', factor: [1n, 1n] },
  dollar: { dim: 'money', factor: [100n, 1n] },
  degree: { dim: 'angle', factor: [1n, 1n] },
  mph: { dim: 'speed-mph', factor: [1n, 1n] },
};

const ALIASES: Record<string, string> = {
  millimeter: 'mm', millimetre: 'mm', centimeter: 'cm', centimetre: 'cm', meter: 'm', metre: 'm', kilometer: 'km',
  kilometre: 'km', in: 'inch', inches: 'inch', ft: 'foot', feet: 'foot', yd: 'yard', mi: 'mile', s: 'second', sec: 'second',
  min: 'minute', h: 'hour', hr: 'hour', gram: 'g', kilogram: 'kg', milligram: 'mg', lb: 'pound', oz: 'ounce',
  milliliter: 'ml', millilitre: 'ml', liter: 'l', litre: 'l', deg: 'degree',
};

/** Words after a number that are not what is counted ("5 pears left", "3 in total"). */
const NOT_NOUNS = new Set([
  'and', 'or', 'left', 'total', 'in', 'of', 'each', 'per', 'only', 'exactly', 'about', 'approximately', 'the', 'is', 'are',
  'units', 'unit', 'square', 'sq', 'cubic', 'times', 'percent', 'solutions', 'solution', 'ways', 'way', 'possible', 'more',
  'less', 'than', 'so', 'then', 'is', 'which', 'when', 'for', 'to', 'at', 'on', 'by', 'with', 'from', 'we', 'it',
]);

function lookup(word: string): string | null {
  const w = word === 'L' ? 'l' : word.toLowerCase();
  if (word.length === 1 && !'mgslhL'.includes(word)) return null;
  if (BASES[w]) return w;
  if (ALIASES[w]) return ALIASES[w];
  const singular = w.replace(/(?:es|s)$/, '');
  if (BASES[singular]) return singular;
  if (ALIASES[singular]) return ALIASES[singular];
  if (w.endsWith('s') && BASES[w.slice(0, -1)]) return w.slice(0, -1);
  return null;
}

function unitFromWord(word: string, power: number): Unit | null {
  const base = lookup(word);
  if (base) {
    const b = BASES[base];
    const f = rat(b.factor[0] ** BigInt(power), b.factor[1] ** BigInt(power));
    return f && { key: power === 1 ? base : `${base}^${power}`, dim: power === 1 ? b.dim : `${b.dim}^${power}`, factor: f };
  }
  const w = word.toLowerCase();
  if (power !== 1 || w.length < 3 || !/^[a-z]+$/.test(w) || NOT_NOUNS.has(w)) return null;
  const noun = `noun:${w.replace(/(?:ies)$/, 'y').replace(/(?<=[^s])s$/, '')}`;
  return { key: noun, dim: noun, factor: { n: 1n, d: 1n } };
}

const TEXT_UNIT = /\\(?:text|mbox|mathrm|textrm|textnormal|operatorname)\s*\{\s*([A-Za-z]+)\.?\s*\}\s*(?:\^\s*\{?\s*([23])\s*\}?)?/g;
const BARE_UNIT = /(?<=[\d}])\s*([A-Za-z]+)\.?(?:\s*\^\s*\{?\s*([23])\s*\}?)?\s*(?:[A-Za-z]+\s*)*$/;

/**
 * The unit of a single value ("5\text{ km}", "40 m²", "30^\circ", "12 apples"), or null when the
 * answer states none, holds no number, or holds several values (a list keeps its units' meaning
 * to the per-item comparison, which is unit-blind).
 */
export function unitOf(raw: string): Unit | null {
  const s = raw.replace(/²/g, '^2').replace(/³/g, '^3').replace(/\$/g, ' ').trim();
  if (!/\d/.test(s) || /\d\s*[,;]\s*\d|\\cup|\band\b|\bor\b/.test(s.replace(/\d\{,\}\d|\d,(?=\d{3})/g, ''))) return null;
  if (/\^\s*\{?\s*\\circ|°|\\degree\b/.test(raw)) return unitFromWord('degree', 1);
  let found: Unit | null = null;
  for (const m of s.matchAll(TEXT_UNIT)) {
    const before = s.slice(0, m.index);
    if (/[\d}]\s*(?:\\[,;: ]|~|\s)*$/.test(before)) found = unitFromWord(m[1], Number(m[2] ?? 1)) ?? found;
  }
  if (found) return found;
  const bare = BARE_UNIT.exec(s.replace(/\\[,;: !]|~/g, ' '));
  return bare ? unitFromWord(bare[1], Number(bare[2] ?? 1)) : null;
}

/** A unit of measure (not a counted noun): "km", "minutes", "m". */
export function isUnitWord(word: string): boolean {
  return lookup(word) !== null;
}
