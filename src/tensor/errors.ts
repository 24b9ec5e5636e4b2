import { UserError } from '../util/errors.ts';

/** A shape or dtype mismatch detected while tracing, named with the op and the shapes involved. */
export class ShapeError extends UserError {
  override name = 'ShapeError';
}

/** `grad` met an op on the path from the parameters to the loss that has no gradient rule. */
export class NoGradientError extends UserError {
  override name = 'NoGradientError';
}
