import type { ReportResult } from './workspace.ts';
import type { BinaryMetrics } from '../../shared/stats/index.ts';
import { errorRateText, interval, num, pct, signedPts } from '../../shared/format.ts';
import { KAPPA_PARADOX } from '../../shared/metrics/explain.ts';
import { ordinal } from '../../shared/ordinal.ts';

/** The JSON contract of `concur report --format json` (extra fields welcome). */
export function reportJson(r: ReportResult) {
  return {
    dataset: r.dataset.name,
    criterion: r.criterion.name,
    run: { id: r.run.id, name: r.run.name, kind: r.run.kind, version: r.version?.number ?? null, status: r.run.status },
    annotator: r.annotator,
    ...r.report,
    /** the published version and every confirmation on test */
    governance: r.governance,
  };
}

interface Section { title: string; note?: string; head: string[]; rows: string[][] }

function passFailRows(m: Omit<BinaryMetrics, 'confusion'>, labels: [string, string] = ['pass', 'fail']): string[][] {
  return [
    [`TPR (judge ${labels[0]}, given expert ${labels[0]})`, interval(m.tpr)],
    [`TNR (judge ${labels[1]}, given expert ${labels[1]})`, interval(m.tnr)],
    [`${labels[1]} class precision / recall / F1`, `${num(m.failClass.precision)} / ${num(m.failClass.recall)} / ${num(m.failClass.f1)}`],
    ['Balanced accuracy', num(m.balancedAccuracy)],
    [`Expert ${labels[0]} rate (prevalence)`, interval(m.prevalence)],
    [`Judge ${labels[0]} rate`, interval(m.judgePassRate)],
    [`Bias (judge − expert ${labels[0]} rate)`, signedPts(m.bias)],
  ];
}

/** Every part of a report as titled tables, shared by the Markdown and HTML renderings. */
function sections(r: ReportResult): Section[] {
  const m = r.report;
  const out: Section[] = [];
  const headline: string[][] = [
    ['Items compared (n)', `${m.n} · ${errorRateText(m.errorRate)}`],
    ['Agreement', interval(m.agreement)],
    [`Cohen's kappa${m.scale === 'binary' ? '' : ` (${m.confusion.labels.length} categories)`}`, interval(m.kappa, 'num')],
    [`PABAK / Gwet AC1 (q = ${m.q} categories)`, `${num(m.pabak)} / ${num(m.ac1)}`],
  ];
  if (m.weightedKappa) headline.push(['Weighted kappa, linear', interval(m.weightedKappa.linear, 'num')], ['Weighted kappa, quadratic', interval(m.weightedKappa.quadratic, 'num')]);
  if (m.scale !== 'pairwise') headline.push(...passFailRows(m));
  out.push({ title: 'Agreement with the expert', note: KAPPA_PARADOX, head: ['Metric', 'Value'], rows: headline });
  out.push({
    title: 'Confusion matrix (rows = expert, columns = judge)', head: ['', ...m.confusion.labels.map((l) => `judge ${l}`)],
    rows: m.confusion.matrix.map((row, i) => [`expert ${m.confusion.labels[i]}`, ...row.map(String)]),
  });
  if (m.withoutTies) {
    const w = m.withoutTies;
    out.push({
      title: 'Without ties (items where neither expert nor judge says tie; "A" plays the role of pass)', head: ['Metric', 'Value'],
      rows: [['Items (n)', String(w.n)], ['Agreement', interval(w.agreement)], ["Cohen's kappa", interval(w.kappa, 'num')], ...passFailRows(w, ['A', 'B'])],
    });
  }
  if (m.pairwise) {
    const views = [m.pairwise.threeClass, m.pairwise.neitherSaysTie, m.pairwise.expertSaysNoTie];
    out.push({
      title: 'Pairwise populations (each view names the items it counts)',
      note: `Judge errors are in no view: ${m.excluded.errors} excluded and counted above.`,
      head: ['Population', 'n', 'Left out', 'Agreement', "Cohen's kappa"],
      rows: views.map((v) => [v.population, String(v.n), String(v.leftOut), interval(v.agreement), interval(v.kappa, 'num')]),
    });
  }
  if (m.annotators.annotators.length >= 2) {
    out.push({
      title: 'Human–human agreement (the ceiling for the judge)',
      note: `Fleiss' kappa across ${m.annotators.annotators.length} annotators: ${num(m.annotators.fleissKappa)} over ${m.annotators.fleissItems} items labelled by all of them.`,
      head: ['Annotator A', 'Annotator B', 'n', 'Agreement', "Cohen's kappa"],
      rows: m.annotators.pairwise.map((p) => [p.a, p.b, String(p.n), pct(p.agreement), num(p.kappa)]),
    });
    out.push({
      title: 'The judge against each annotator', head: ['Annotator', 'n', 'Agreement', "Cohen's kappa"],
      rows: m.annotators.judge.map((j) => [j.annotator, String(j.n), interval(j.agreement), interval(j.kappa, 'num')]),
    });
  }
  const c = m.consistency;
  const cons: string[][] = [];
  if (c.samples) cons.push([`Self-agreement over ${c.samples.samplesPerItem} samples`, `${pct(c.samples.selfAgreement)} (flip rate ${pct(c.samples.flipRate)}, ${c.samples.items} items; metrics use the majority verdict)`]);
  for (const o of c.orderSensitivity) cons.push([`Few-shot order flip rate vs run #${o.runId} (${o.name})`, `${pct(o.flipRate)} of ${o.n} items`]);
  for (const p of c.positionConsistency) cons.push([`Position consistency vs swapped run #${p.runId} (${p.name})`, `${interval(p.rate)} of ${p.n} items keep their verdict`]);
  if (cons.length) out.push({ title: 'Consistency', head: ['Check', 'Result'], rows: cons });
  if (c.verbosity.length) {
    out.push({
      title: 'Verbosity bias (pass rate by output-length quartile)', note: 'A gap that grows with length means the judge rewards longer outputs more than the expert does.',
      head: ['Quartile', 'Output chars', 'n', 'Expert pass rate', 'Judge pass rate', 'Gap'],
      rows: c.verbosity.map((v) => [`Q${v.quartile}`, `${v.minChars}–${v.maxChars}`, String(v.n), pct(v.expertPassRate.value), pct(v.judgePassRate.value), signedPts(v.gap)]),
    });
  }
  out.push(governanceSection(r));
  if (m.slices.length) {
    out.push({
      title: 'Slices', note: 'Slices with fewer than 10 compared items are marked "small": their figures are too uncertain to act on.',
      head: ['Dimension', 'Value', 'n', 'Agreement', 'Kappa', m.scale === 'pairwise' ? 'TPR (A)' : 'TPR', m.scale === 'pairwise' ? 'TNR (B)' : 'TNR'],
      rows: m.slices.map((s) => [s.dimension, s.value, `${s.n}${s.small ? ' (small)' : ''}`, pct(s.agreement.value), num(s.kappa.value), pct(s.tpr.value), pct(s.tnr.value)]),
    });
  }
  return out;
}

/** Which version is published, and every confirmation on test (a second look at test is counted, not hidden). */
function governanceSection(r: ReportResult): Section {
  const g = r.governance;
  const published = g.published
    ? `Published: version ${g.published.version} (by ${g.published.by}, ${g.published.at.slice(0, 10)}; confirmed in confirmation ${g.published.confirmation}).`
    : 'No version is published.';
  return {
    title: 'Confirmation on test and publication',
    note: [published, g.note ?? '', g.confirmations.length ? 'Dev peeks: versions of this criterion scored on dev before the confirmation.' : 'No version has been confirmed on test yet.'].filter(Boolean).join(' '),
    head: ['#', 'Version', 'Confirmed by', 'When', 'n (test)', 'Agreement', 'Kappa', 'TPR', 'TNR', 'Dev peeks'],
    rows: g.confirmations.map((c) => [
      `${ordinal(c.sequence)} confirmation on this test split`, `v${c.version}${g.published?.version === c.version ? ' (published)' : ''}`, c.by, c.at.slice(0, 16).replace('T', ' '),
      String(c.n), interval(c.agreement), interval(c.kappa, 'num'), interval(c.tpr), interval(c.tnr), String(c.devPeeks),
    ]),
  };
}

function title(r: ReportResult) {
  const who = r.run.kind === 'imported' ? `imported run "${r.run.name}"` : `version ${r.version?.number} (run #${r.run.id})`;
  return `${r.criterion.name} — ${who}, ${r.report.split} split, against ${r.annotator}`;
}

function excludedLine(r: ReportResult) {
  const e = r.report.excluded;
  const more = [
    e.noMajority ? `${e.noMajority} with no majority among the judge's samples` : '',
    e.annotatorsDisagree ? `${e.annotatorsDisagree} where the annotators disagree (tied vote)` : '',
    r.report.notJudged ? `${r.report.notJudged} labelled items the run never judged` : '',
  ].filter(Boolean).map((s) => `, ${s}`).join('');
  return `Excluded from the metrics: ${e.unlabelled} unlabelled, ${e.ambiguous} ambiguous, ${e.errors} judge errors, ${e.fewShot} few-shot examples of this version${more}.`;
}

const mdCell = (s: string) => s.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');

export function reportMarkdown(r: ReportResult): string {
  const lines = [`# Alignment report: ${title(r)}`, '', `Dataset **${r.dataset.name}** (${r.report.scale} scale). ${excludedLine(r)}`, ''];
  for (const s of sections(r)) {
    lines.push(`## ${s.title}`, '', `| ${s.head.map(mdCell).join(' | ')} |`, `| ${s.head.map(() => '---').join(' | ')} |`);
    for (const row of s.rows) lines.push(`| ${row.map(mdCell).join(' | ')} |`);
    lines.push('');
    if (s.note) lines.push(s.note, '');
  }
  return lines.join('\n');
}

const esc = (s: string) => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A single self-contained HTML file (inline CSS, no scripts, every text escaped) to send to a colleague. */
export function reportHtml(r: ReportResult): string {
  const table = (s: Section) => `<h2>${esc(s.title)}</h2><table><thead><tr>${s.head.map((h) => `<th>${esc(h)}</th>`).join('')}</tr></thead><tbody>${s.rows.map((row) => `<tr>${row.map((c) => `<td>${esc(c)}</td>`).join('')}</tr>`).join('')}</tbody></table>${s.note ? `<p class="note">${esc(s.note)}</p>` : ''}`;
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${esc(`Concur report: ${title(r)}`)}</title>
<style>body{font:15px/1.5 system-ui,sans-serif;max-width:64rem;margin:2rem auto;padding:0 1rem;color:#1f2933}table{border-collapse:collapse;margin:.5rem 0 1rem}td,th{border:1px solid #cbd2d9;padding:.3rem .65rem;text-align:left;vertical-align:top}th{background:#f0f4f8}.note{color:#52606d;max-width:50rem}h2{margin-top:2rem;font-size:1.15rem}</style></head><body>
<h1>Alignment report</h1><p>${esc(title(r))}. Dataset <b>${esc(r.dataset.name)}</b> (${esc(r.report.scale)} scale).</p><p class="note">${esc(excludedLine(r))}</p>
${sections(r).map(table).join('\n')}
<p class="note">Generated by Concur on ${esc(new Date().toISOString().slice(0, 10))}.</p></body></html>
`;
}
