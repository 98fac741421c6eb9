import { validation } from '../../shared/errors.js';

/**
 * What a rejected offer does to a deal's win probability (seed 003: "OfferRejected → Update
 * opportunity probability"). The Offers context may say what it should be; otherwise it is
 * halved, rounded down, but never below REJECTION_FLOOR and never raised. The stage
 * configuration has no per-stage minimum, so the floor is this one: an open deal at 0 % would
 * drop out of the weighted pipeline, and whether it is lost is the rep's call (close as lost).
 */
export const REJECTION_FLOOR = 1;

export function probabilityAfterRejection(current: number, carried: number | undefined): number {
  if (carried !== undefined) {
    if (!Number.isInteger(carried) || carried < 0 || carried > 100) {
      throw validation('probability must be an integer from 0 to 100', { field: 'probability', probability: carried });
    }
    return carried;
  }
  return Math.min(current, Math.max(Math.floor(current / 2), REJECTION_FLOOR));
}
