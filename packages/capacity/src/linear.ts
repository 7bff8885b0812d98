import { z } from 'zod';
import { rSquared } from './linalg.js';

export const LinearFit = z.object({ slope: z.number(), intercept: z.number(), r2: z.number() });
export type LinearFit = z.infer<typeof LinearFit>;

/** Ordinary least-squares line y = slope·x + intercept; undefined without two distinct x. */
export function fitLine(x: readonly number[], y: readonly number[]): LinearFit | undefined {
  const n = x.length;
  const mx = x.reduce((s, v) => s + v, 0) / n;
  const my = y.reduce((s, v) => s + v, 0) / n;
  let sxy = 0;
  let sxx = 0;
  x.forEach((xi, i) => {
    sxy += (xi - mx) * (y[i]! - my);
    sxx += (xi - mx) ** 2;
  });
  if (!(sxx > 0)) return undefined;
  const slope = sxy / sxx;
  const intercept = my - slope * mx;
  return {
    slope,
    intercept,
    r2: rSquared(
      y,
      x.map((xi) => slope * xi + intercept),
    ),
  };
}
