import { encodePlaintext } from "./elgamal";
import { basePoint, identity, pointAdd, pointEquals, pointSub, type Point } from "./group";

/**
 * Bounded discrete logarithm by baby-step giant-step: given T*G with
 * 0 <= T <= maxValue, find T. One table of baby steps j*G (0 <= j < m) serves
 * many searches (all options of a tally); each search walks at most
 * floor(maxValue / m) + 1 giant steps T*G - i*m*G. With k searches the total
 * cost m + k*maxValue/m additions is smallest at m = sqrt(k*maxValue).
 * The identity (T = 0) is the baby step j = 0.
 */
export interface DlogTable {
  /** m: the number of baby steps and the giant stride. */
  readonly stride: number;
  readonly maxValue: number;
  /** -m*G is subtracted as m*G at each giant step. */
  readonly giant: Point;
  readonly babySteps: ReadonlyMap<string, number>;
}

/** Upper bound of the table (about 1.3 s of point additions to build at 20 us each). */
export const MAX_DLOG_STRIDE = 1 << 16;

/** A table key: the first 16 bytes of the encoding (a full check follows every hit). */
function keyOf(point: Point): string {
  let key = "";
  for (let i = 0; i < 16; i++) key += String.fromCharCode(point[i]);
  return key;
}

export function createDlogTable(maxValue: number, searches = 1): DlogTable {
  if (!Number.isSafeInteger(maxValue) || maxValue < 0) throw new RangeError(`invalid bound ${maxValue}`);
  const ideal = Math.ceil(Math.sqrt((maxValue + 1) * Math.max(1, searches)));
  const stride = Math.max(1, Math.min(ideal, maxValue + 1, MAX_DLOG_STRIDE));
  const babySteps = new Map<string, number>();
  const g = basePoint();
  let point = identity();
  for (let j = 0; j < stride; j++) {
    babySteps.set(keyOf(point), j);
    if (j + 1 < stride) point = pointAdd(point, g);
  }
  const giant = encodePlaintext(stride);
  return { stride, maxValue, giant, babySteps };
}

/** T with point = T*G and 0 <= T <= table.maxValue, or null when there is none. */
export function smallDiscreteLog(table: DlogTable, point: Point): number | null {
  const giantSteps = Math.floor(table.maxValue / table.stride);
  let current = point;
  for (let i = 0; i <= giantSteps; i++) {
    const j = table.babySteps.get(keyOf(current));
    if (j !== undefined) {
      const value = i * table.stride + j;
      if (value <= table.maxValue && pointEquals(encodePlaintext(value), point)) return value;
    }
    if (i < giantSteps) current = pointSub(current, table.giant);
  }
  return null;
}
