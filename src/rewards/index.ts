export { composeRewards, createReward, REWARD_NAMES, rewardSpecSchema } from './registry.ts';
export type { ComposedResult, ComposedReward, RewardSpec } from './registry.ts';
export { inProcessVerify, poolVerify } from './verifier.ts';
export { tokenSelfCertainty } from './self_certainty.ts';
export type { Capability, Reward, RewardContext, RewardGroup, RewardResult, TokenLogits, Verify } from './types.ts';
