export { verifyPair, DEFAULT_VERIFY, MAX_ANSWER_CHARS, MAX_ANSWER_DEPTH } from './verify.ts';
export type { VerifyOptions, VerifyResult } from './verify.ts';
export { VerifierPool, DEFAULT_TIMEOUT_MS } from './pool.ts';
export type { PoolOptions } from './pool.ts';
export { extractAnswer, goldAnswer, lastBoxed, EXTRACTORS, EXTRACTION_PRESETS, DEFAULT_EXTRACTORS } from './extract.ts';
export type { Extractor, Extraction } from './extract.ts';
export { normalizeAnswer } from './normalize.ts';
