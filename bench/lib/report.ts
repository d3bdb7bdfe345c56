import { spread, type Spread } from './stats.js';

/**
 * What a figure must meet. Ratio and difference targets are judged on the median of the
 * per-round values (a run's typical figure); exactness targets on every round.
 */
export type Target =
  /** median(Turbine / peer) ≥ value */
  | { kind: 'ratio-min'; value: number }
  /** median(Turbine / peer) ≤ value */
  | { kind: 'ratio-max'; value: number }
  /** median(Turbine) ≤ value */
  | { kind: 'max'; value: number }
  /** median(Turbine) ≥ value */
  | { kind: 'min'; value: number }
  /** Turbine equals value in every round */
  | { kind: 'equals'; value: number }
  /** median(Turbine − peer) ≤ value */
  | { kind: 'diff-max'; value: number };

/** One line of the table: a figure of Turbine and of its peer, one value per round. */
export interface MetricResult {
  bench: string;
  metric: string;
  turbine: number[];
  /** null when the peer has no such figure (printed n/a). */
  peer: number[] | null;
  target?: Target;
}

export interface Verdict {
  pass: boolean;
  text: string;
}

const fmt = (v: number): string => {
  if (!Number.isFinite(v)) return 'n/a';
  if (Number.isInteger(v)) return v.toLocaleString('en-US');
  const abs = Math.abs(v);
  const digits = abs >= 100 ? 0 : abs >= 10 ? 1 : abs >= 1 ? 2 : 3;
  return v.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
};

const showSpread = (s: Spread, rounds: number): string =>
  rounds > 1 && Number.isFinite(s.median) ? `${fmt(s.median)} [${fmt(s.min)}–${fmt(s.max)}]` : fmt(s.median);

function ratios(m: MetricResult): number[] {
  if (!m.peer) return [];
  return m.turbine.map((t, i) => t / (m.peer![i] ?? Number.NaN));
}

function describeTarget(t: Target): string {
  switch (t.kind) {
    case 'ratio-min':
      return `ratio ≥ ${t.value}`;
    case 'ratio-max':
      return `ratio ≤ ${t.value}`;
    case 'max':
      return `≤ ${fmt(t.value)}`;
    case 'min':
      return `≥ ${fmt(t.value)}`;
    case 'equals':
      return `= ${fmt(t.value)} every round`;
    case 'diff-max':
      return `≤ peer + ${fmt(t.value)}`;
  }
}

const signed = (v: number): string => `${v >= 0 ? '+' : '−'}${fmt(Math.abs(v))}`;

/** PASS/MISS with the margin: how far inside (PASS) or outside (MISS) the target the figure is. */
export function judge(m: MetricResult): Verdict | null {
  const t = m.target;
  if (!t) return null;
  const verdict = (margin: number, detail: string): Verdict => ({
    pass: margin >= 0,
    text: `${margin >= 0 ? 'PASS' : 'MISS'} by ${fmt(Math.abs(margin))}${detail}`,
  });
  switch (t.kind) {
    case 'ratio-min': {
      const r = spread(ratios(m)).median;
      return verdict(r - t.value, ` (${signed(((r - t.value) / t.value) * 100)} %)`);
    }
    case 'ratio-max': {
      const r = spread(ratios(m)).median;
      return verdict(t.value - r, '');
    }
    case 'max': {
      const v = spread(m.turbine).median;
      return verdict(t.value - v, '');
    }
    case 'min': {
      const v = spread(m.turbine).median;
      return verdict(v - t.value, '');
    }
    case 'equals': {
      const worst = Math.max(...m.turbine.map((v) => Math.abs(v - t.value)));
      return { pass: worst === 0, text: worst === 0 ? 'PASS' : `MISS by ${fmt(worst)}` };
    }
    case 'diff-max': {
      const diffs = m.turbine.map((v, i) => v - (m.peer?.[i] ?? Number.NaN));
      const d = spread(diffs).median;
      return verdict(t.value - d, ` (Turbine − peer = ${signed(d)})`);
    }
  }
}

/** The results as a Markdown table (it reads as well in a terminal as in docs/performance.md). */
export function renderTable(results: readonly MetricResult[], rounds: number): string {
  const head = ['Benchmark', 'Metric', 'Turbine', 'Plain BullMQ', 'Ratio', 'Target', 'Result'];
  const rows = results.map((m) => {
    const r = ratios(m);
    return [
      m.bench,
      m.metric,
      showSpread(spread(m.turbine), rounds),
      m.peer ? showSpread(spread(m.peer), rounds) : 'n/a',
      r.length ? showSpread(spread(r), rounds) : 'n/a',
      m.target ? describeTarget(m.target) : '',
      judge(m)?.text ?? '',
    ];
  });
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}
