// Summaries of repeated measurements: median and spread, formatted the same way everywhere.

export interface Summary {
  n: number;
  median: number;
  min: number;
  max: number;
  p10: number;
  p90: number;
}

/** Linear interpolation between closest ranks. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = (sorted.length - 1) * p;
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  const a = sorted[lo] ?? Number.NaN;
  const b = sorted[hi] ?? Number.NaN;
  return a + (b - a) * (rank - lo);
}

export function summarize(values: readonly number[]): Summary {
  const sorted = [...values].sort((a, b) => a - b);
  return {
    n: sorted.length,
    median: percentile(sorted, 0.5),
    min: sorted[0] ?? Number.NaN,
    max: sorted.at(-1) ?? Number.NaN,
    p10: percentile(sorted, 0.1),
    p90: percentile(sorted, 0.9),
  };
}

/** `0.123 s (0.110–0.140, n=10)`: median, then min–max (or p10–p90 when `spread` says so). */
export function fmt(s: Summary, unit: string, digits = 2, spread: 'range' | 'p10-p90' = 'range'): string {
  const f = (v: number) => v.toFixed(digits);
  if (s.n === 0) return 'no samples';
  if (s.n === 1) return `${f(s.median)} ${unit} (n=1)`;
  const [lo, hi] = spread === 'range' ? [s.min, s.max] : [s.p10, s.p90];
  return `${f(s.median)} ${unit} (${spread === 'range' ? 'min–max' : 'p10–p90'} ${f(lo)}–${f(hi)}, n=${s.n})`;
}

/** Least-squares slope and intercept of y over x. */
export function linearFit(xs: readonly number[], ys: readonly number[]): { slope: number; intercept: number } {
  const n = Math.min(xs.length, ys.length);
  if (n < 2) return { slope: 0, intercept: ys[0] ?? 0 };
  let sx = 0;
  let sy = 0;
  let sxx = 0;
  let sxy = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i] ?? 0;
    const y = ys[i] ?? 0;
    sx += x;
    sy += y;
    sxx += x * x;
    sxy += x * y;
  }
  const slope = (n * sxy - sx * sy) / (n * sxx - sx * sx || 1);
  return { slope, intercept: (sy - slope * sx) / n };
}

export const MiB = 1024 * 1024;
