import type { ReportResult } from './workspace.ts';
import type { Interval } from '../../shared/stats/index.ts';
import type { SliceReport } from '../../shared/metrics/report.ts';

const pct = (x: number | null | undefined) => (x === null || x === undefined ? '—' : `${(x * 100).toFixed(1)}%`);
const num = (x: number | null | undefined, d = 3) => (x === null || x === undefined ? '—' : x.toFixed(d));
const ci = (iv: Interval, f: (x: number | null) => string) => (iv.value === null ? 'undefined' : `${f(iv.value)} (95% CI ${f(iv.low)}–${f(iv.high)})`);

/** The JSON contract of `concur report --format json` (extra fields welcome). */
export function reportJson(r: ReportResult) {
  return {
    dataset: r.dataset.name,
    criterion: r.criterion.name,
    run: { id: r.run.id, name: r.run.name, kind: r.run.kind, version: r.version?.number ?? null, status: r.run.status },
    annotator: r.annotator,
    ...r.report,
  };
}

function headlineRows(r: ReportResult): Array<[string, string]> {
  const m = r.report;
  return [
    ['Items compared (n)', String(m.n)],
    ['Agreement', ci(m.agreement, pct)],
    ["Cohen's kappa", ci(m.kappa, (x) => num(x))],
    ['TPR (judge pass, given expert pass)', ci(m.tpr, pct)],
    ['TNR (judge fail, given expert fail)', ci(m.tnr, pct)],
    ['Fail class precision / recall / F1', `${num(m.failClass.precision)} / ${num(m.failClass.recall)} / ${num(m.failClass.f1)}`],
    ['Balanced accuracy', num(m.balancedAccuracy)],
    ['Expert pass rate (prevalence)', ci(m.prevalence, pct)],
    ['Judge pass rate', ci(m.judgePassRate, pct)],
    ['Bias (judge − expert pass rate)', m.bias === null ? '—' : `${m.bias >= 0 ? '+' : ''}${(m.bias * 100).toFixed(1)} pts`],
    ['PABAK / Gwet AC1', `${num(m.pabak)} / ${num(m.ac1)}`],
  ];
}

function title(r: ReportResult) {
  const who = r.run.kind === 'imported' ? `imported run "${r.run.name}"` : `version ${r.version?.number} (run #${r.run.id})`;
  return `${r.criterion.name} — ${who}, ${r.report.split} split, against ${r.annotator}`;
}

export function reportMarkdown(r: ReportResult): string {
  const m = r.report;
  const [[pp, pf], [fp, ff]] = m.confusion.matrix as [[number, number], [number, number]];
  const lines = [
    `# Alignment report: ${title(r)}`, '',
    `Dataset **${r.dataset.name}**. Excluded: ${m.excluded.unlabelled} unlabelled, ${m.excluded.ambiguous} ambiguous, ${m.excluded.errors} judge errors, ${m.excluded.fewShot} few-shot examples.`, '',
    '| Metric | Value |', '| --- | --- |', ...headlineRows(r).map(([k, v]) => `| ${k} | ${v} |`), '',
    'Kappa corrects agreement for chance; under skewed classes it can be low while agreement is high (the kappa paradox), so PABAK and AC1 are shown beside it.', '',
    '## Confusion matrix (rows = expert, columns = judge)', '',
    '| | judge pass | judge fail |', '| --- | --- | --- |', `| **expert pass** | ${pp} | ${pf} |`, `| **expert fail** | ${fp} | ${ff} |`, '',
  ];
  if (m.slices.length) {
    lines.push('## Slices', '', '| Dimension | Value | n | Agreement | Kappa | TPR | TNR |', '| --- | --- | --- | --- | --- | --- | --- |');
    for (const s of m.slices) lines.push(`| ${mdCell(s.dimension)} | ${mdCell(s.value)} | ${s.n}${s.small ? ' ⚠ small' : ''} | ${pct(s.agreement.value)} | ${num(s.kappa.value)} | ${pct(s.tpr.value)} | ${pct(s.tnr.value)} |`);
    lines.push('', `Slices with fewer than 10 items are marked ⚠: their figures are too uncertain to act on.`);
  }
  return lines.join('\n') + '\n';
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A single self-contained HTML file (inline CSS, no scripts, all text escaped). */
export function reportHtml(r: ReportResult): string {
  const m = r.report;
  const [[pp, pf], [fp, ff]] = m.confusion.matrix as [[number, number], [number, number]];
  const row = (cells: string[], tag = 'td') => `<tr>${cells.map((c) => `<${tag}>${esc(c)}</${tag}>`).join('')}</tr>`;
  const sliceRow = (s: SliceReport) => row([s.dimension, s.value, `${s.n}${s.small ? ' (small)' : ''}`, pct(s.agreement.value), num(s.kappa.value), pct(s.tpr.value), pct(s.tnr.value)]);
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(`Concur report: ${title(r)}`)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem;color:#1f2933}table{border-collapse:collapse;margin:1rem 0}td,th{border:1px solid #cbd2d9;padding:.35rem .7rem;text-align:left}th{background:#f0f4f8}.note{color:#52606d}</style></head><body>
<h1>Alignment report</h1><p>${esc(title(r))}. Dataset <b>${esc(r.dataset.name)}</b>.</p>
<p class="note">Excluded: ${m.excluded.unlabelled} unlabelled, ${m.excluded.ambiguous} ambiguous, ${m.excluded.errors} judge errors, ${m.excluded.fewShot} few-shot examples.</p>
<table>${headlineRows(r).map(([k, v]) => row([k, v])).join('')}</table>
<p class="note">Kappa corrects agreement for chance; under skewed classes it can be low while agreement is high (the kappa paradox), so PABAK and AC1 are shown beside it.</p>
<h2>Confusion matrix</h2><table>${row(['', 'judge pass', 'judge fail'], 'th')}${row(['expert pass', String(pp), String(pf)])}${row(['expert fail', String(fp), String(ff)])}</table>
${m.slices.length ? `<h2>Slices</h2><table>${row(['Dimension', 'Value', 'n', 'Agreement', 'Kappa', 'TPR', 'TNR'], 'th')}${m.slices.map(sliceRow).join('')}</table><p class="note">Slices with fewer than 10 items are marked small.</p>` : ''}
<p class="note">Generated by Concur.</p></body></html>\n`;
}
