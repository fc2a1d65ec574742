// What every measurement module hands back to bench/run.ts: its headline figures (for the table on
// stdout and the summary of results.md) and its own markdown section (method and details).

export interface Figure {
  /** What was measured, e.g. `plan, 250 VMs: wall time (dist/oneke)`. */
  name: string;
  /** The result: median and spread, or `not measured: <reason>`. */
  value: string;
  /** The target, when the issue sets one, e.g. `≤ 0.25 s`. */
  target?: string;
  /** Whether the target is met; undefined when there is no target or nothing was measured. */
  met?: boolean;
}

export interface Section {
  title: string;
  figures: Figure[];
  /** Markdown for results.md: how it was measured, tables, and where a target is missed, by how much and why. */
  markdown: string;
}

export function notMeasured(name: string, reason: string, target?: string): Figure {
  return { name, value: `not measured: ${reason}`, ...(target ? { target } : {}) };
}

export function markdownTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]) => `| ${cells.map((c) => c.replaceAll('|', '\\|')).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

/** A plain-text table for stdout, columns padded. */
export function textTable(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const all = [header, ...rows];
  const widths = header.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i] ?? 0))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

export function metText(figure: Figure): string {
  if (figure.target === undefined) return '';
  if (figure.met === undefined) return '?';
  return figure.met ? 'met' : 'MISSED';
}

/** An error as one line, for `not measured: …`. */
export function reasonOf(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  return (
    text
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.trim()
      .slice(0, 300) ?? 'unknown error'
  );
}
