// Two small SVG pictures written by hand (no charting dependency): a line chart with optional log
// axes, and a timeline of bars per row (who did what when).

const FONT = 'font-family="system-ui, -apple-system, Segoe UI, Helvetica, Arial, sans-serif"';

function esc(text: string): string {
  return text.replaceAll('&', '&amp;').replaceAll('<', '&lt;').replaceAll('>', '&gt;').replaceAll('"', '&quot;');
}

const num = (v: number) => (Math.round(v * 10) / 10).toString();

function text(x: number, y: number, content: string, attrs = ''): string {
  return `<text x="${num(x)}" y="${num(y)}" ${attrs}>${esc(content)}</text>`;
}

/** 1, 10, 100… between lo and hi; or about `count` round steps on a linear axis. */
function ticks(lo: number, hi: number, log: boolean, count = 6): number[] {
  if (log) {
    const out: number[] = [];
    for (let p = Math.floor(Math.log10(lo)); p <= Math.ceil(Math.log10(hi)); p++) out.push(10 ** p);
    return out;
  }
  const raw = (hi - lo) / count;
  const mag = 10 ** Math.floor(Math.log10(raw || 1));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw) ?? raw;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function tickLabel(v: number): string {
  if (v >= 1e6) return `${v / 1e6}M`;
  if (v >= 1e3) return `${v / 1e3}k`;
  return String(v);
}

export interface Series {
  name: string;
  points: [number, number][];
  color: string;
  dashed?: boolean;
  /** Print the y value next to each point. */
  labels?: boolean;
}

export interface LineChart {
  title: string;
  subtitle?: string;
  xLabel: string;
  yLabel: string;
  series: Series[];
  logX?: boolean;
  logY?: boolean;
  /** Tick positions on x (default: computed). */
  xTicks?: number[];
  /** Horizontal reference lines (a target). */
  hlines?: { y: number; label: string; color: string }[];
}

export function lineChart(chart: LineChart): string {
  const W = 760;
  const H = 470;
  const m = { left: 78, right: 24, top: chart.subtitle ? 66 : 48, bottom: 56 };
  const pw = W - m.left - m.right;
  const ph = H - m.top - m.bottom;
  const xs = chart.series.flatMap((s) => s.points.map((p) => p[0]));
  const ys = [...chart.series.flatMap((s) => s.points.map((p) => p[1])), ...(chart.hlines ?? []).map((h) => h.y)];
  const pad = (lo: number, hi: number, log: boolean): [number, number] =>
    log ? [10 ** Math.floor(Math.log10(Math.max(lo, 1e-9))), 10 ** Math.ceil(Math.log10(Math.max(hi, 1e-9)))] : [Math.min(0, lo), hi * 1.08 || 1];
  const [x0, x1] = chart.logX ? [Math.min(...xs) / 1.5, Math.max(...xs) * 1.5] : pad(Math.min(...xs), Math.max(...xs), false);
  const [y0, y1] = pad(Math.min(...ys), Math.max(...ys), chart.logY ?? false);
  const sx = (v: number) => m.left + (chart.logX ? (Math.log10(v) - Math.log10(x0)) / (Math.log10(x1) - Math.log10(x0)) : (v - x0) / (x1 - x0)) * pw;
  const sy = (v: number) => m.top + ph - (chart.logY ? (Math.log10(v) - Math.log10(y0)) / (Math.log10(y1) - Math.log10(y0)) : (v - y0) / (y1 - y0)) * ph;

  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(text(m.left, 24, chart.title, 'font-size="16" font-weight="600" fill="#222"'));
  if (chart.subtitle) out.push(text(m.left, 44, chart.subtitle, 'font-size="12" fill="#555"'));
  for (const t of ticks(y0, y1, chart.logY ?? false)) {
    if (t < y0 || t > y1) continue;
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${num(sy(t))}" y2="${num(sy(t))}" stroke="#e4e4e4"/>`);
    out.push(text(m.left - 8, sy(t) + 4, tickLabel(t), 'text-anchor="end" fill="#444"'));
  }
  for (const t of chart.xTicks ?? ticks(x0, x1, chart.logX ?? false)) {
    if (t < x0 || t > x1) continue;
    out.push(`<line x1="${num(sx(t))}" x2="${num(sx(t))}" y1="${m.top}" y2="${m.top + ph}" stroke="#f0f0f0"/>`);
    out.push(text(sx(t), m.top + ph + 18, tickLabel(t), 'text-anchor="middle" fill="#444"'));
  }
  out.push(`<rect x="${m.left}" y="${m.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  out.push(text(m.left + pw / 2, H - 14, chart.xLabel, 'text-anchor="middle" fill="#222"'));
  out.push(text(18, m.top + ph / 2, chart.yLabel, `text-anchor="middle" fill="#222" transform="rotate(-90 18 ${num(m.top + ph / 2)})"`));

  for (const h of chart.hlines ?? []) {
    out.push(`<line x1="${m.left}" x2="${m.left + pw}" y1="${num(sy(h.y))}" y2="${num(sy(h.y))}" stroke="${h.color}" stroke-width="1.4" stroke-dasharray="5 4"/>`);
    out.push(text(m.left + pw - 6, sy(h.y) - 6, h.label, `text-anchor="end" fill="${h.color}" font-size="11"`));
  }
  for (const s of chart.series) {
    const pts = s.points.map(([x, y]) => `${num(sx(x))},${num(sy(y))}`).join(' ');
    out.push(`<polyline points="${pts}" fill="none" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 5"' : ''}/>`);
    for (const [x, y] of s.points.length <= 40 ? s.points : []) {
      out.push(`<circle cx="${num(sx(x))}" cy="${num(sy(y))}" r="3.8" fill="${s.dashed ? '#fff' : s.color}" stroke="${s.color}" stroke-width="1.8"/>`);
      if (s.labels) out.push(text(sx(x) + 7, sy(y) - 7, Math.round(y).toLocaleString('en-US'), `fill="${s.color}" font-size="11"`));
    }
  }
  // Legend, top left inside the plot.
  chart.series.forEach((s, i) => {
    const y = m.top + 18 + i * 18;
    out.push(`<line x1="${m.left + 12}" x2="${m.left + 42}" y1="${y - 4}" y2="${y - 4}" stroke="${s.color}" stroke-width="2.2"${s.dashed ? ' stroke-dasharray="7 5"' : ''}/>`);
    out.push(text(m.left + 50, y, s.name, 'fill="#222"'));
  });
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}

export interface TimelineRow {
  label: string;
  /** Bars: [from, to) in seconds, coloured by kind. */
  segments: { from: number; to: number; kind: string }[];
  /** Ticks at instants, coloured by kind. */
  marks?: { t: number; kind: string }[];
}

export interface Timeline {
  title: string;
  subtitle?: string;
  rows: TimelineRow[];
  /** Colour and legend text of each kind. */
  kinds: Record<string, { color: string; label: string }>;
  /** Vertical lines across every row. */
  lines?: { t: number; label: string; color: string }[];
  xLabel?: string;
}

export function timelineChart(chart: Timeline): string {
  const rowH = 22;
  const W = 900;
  const m = { left: 128, right: 24, top: chart.subtitle ? 70 : 52, bottom: 80 };
  const pw = W - m.left - m.right;
  // Legend entries laid out in lines under the axis.
  const legend: { x: number; line: number; color: string; label: string }[] = [];
  let lx = m.left;
  let line = 0;
  for (const kind of Object.values(chart.kinds)) {
    const width = 34 + kind.label.length * 7.2;
    if (lx + width > W - m.right && lx > m.left) {
      line += 1;
      lx = m.left;
    }
    legend.push({ x: lx, line, color: kind.color, label: kind.label });
    lx += width;
  }
  const H = m.top + chart.rows.length * rowH + m.bottom + line * 20;
  const end = Math.max(1, ...chart.rows.flatMap((r) => [...r.segments.map((s) => s.to), ...(r.marks ?? []).map((k) => k.t)]), ...(chart.lines ?? []).map((l) => l.t));
  const sx = (t: number) => m.left + (t / end) * pw;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" ${FONT} font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="#ffffff"/>`);
  out.push(text(m.left, 24, chart.title, 'font-size="16" font-weight="600" fill="#222"'));
  if (chart.subtitle) out.push(text(m.left, 44, chart.subtitle, 'font-size="12" fill="#555"'));
  const bottom = m.top + chart.rows.length * rowH;
  for (const t of ticks(0, end, false, 10)) {
    out.push(`<line x1="${num(sx(t))}" x2="${num(sx(t))}" y1="${m.top - 4}" y2="${bottom}" stroke="#eeeeee"/>`);
    out.push(text(sx(t), bottom + 16, `${t}`, 'text-anchor="middle" fill="#444"'));
  }
  out.push(text(m.left + pw / 2, bottom + 34, chart.xLabel ?? 'seconds', 'text-anchor="middle" fill="#222"'));
  chart.rows.forEach((row, i) => {
    const y = m.top + i * rowH;
    if (i % 2 === 0) out.push(`<rect x="0" y="${y}" width="${W}" height="${rowH}" fill="#fafafa"/>`);
    out.push(text(m.left - 8, y + rowH / 2 + 4, row.label, 'text-anchor="end" fill="#222"'));
    for (const s of row.segments) {
      const kind = chart.kinds[s.kind];
      const w = Math.max(1, sx(s.to) - sx(s.from));
      out.push(
        `<rect x="${num(sx(s.from))}" y="${y + 4}" width="${num(w)}" height="${rowH - 8}" rx="2" fill="${kind?.color ?? '#888'}"><title>${esc(`${row.label}: ${kind?.label ?? s.kind} ${s.from.toFixed(1)}–${s.to.toFixed(1)} s`)}</title></rect>`,
      );
    }
    for (const k of row.marks ?? []) {
      const kind = chart.kinds[k.kind];
      out.push(
        `<line x1="${num(sx(k.t))}" x2="${num(sx(k.t))}" y1="${y + 2}" y2="${y + rowH - 2}" stroke="${kind?.color ?? '#000'}" stroke-width="2"><title>${esc(`${row.label}: ${kind?.label ?? k.kind} at ${k.t.toFixed(1)} s`)}</title></line>`,
      );
    }
  });
  for (const l of chart.lines ?? []) {
    out.push(`<line x1="${num(sx(l.t))}" x2="${num(sx(l.t))}" y1="${m.top - 6}" y2="${bottom}" stroke="${l.color}" stroke-width="1.4" stroke-dasharray="4 3"/>`);
    out.push(text(sx(l.t) + 4, m.top - 8, l.label, `fill="${l.color}" font-size="11"`));
  }
  // Legend under the axis.
  for (const entry of legend) {
    const ly = bottom + 58 + entry.line * 20;
    out.push(`<rect x="${num(entry.x)}" y="${ly - 10}" width="14" height="12" rx="2" fill="${entry.color}"/>`);
    out.push(text(entry.x + 19, ly, entry.label, 'fill="#222"'));
  }
  out.push('</svg>');
  return `${out.join('\n')}\n`;
}
