import type { VerifierPool } from '../verify/pool.ts';
import { verifyPair } from '../verify/verify.ts';
import type { Verify } from './types.ts';

/** No isolation or time bound: for trusted inputs and tests. */
export const inProcessVerify: Verify = async (gold, pred, options) => verifyPair(gold, pred, options);

/** Time- and memory-bounded verification on the pool's worker threads. */
export const poolVerify = (pool: VerifierPool): Verify => (gold, pred, options) => pool.verify(gold, pred, options);
