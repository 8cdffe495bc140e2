#!/usr/bin/env node
// Convert the PandaLM human-annotated test set (WeOpenML/PandaLM, Apache-2.0) into
// Concur's import formats. Plain Node ESM, no dependencies, deterministic output.
//
// Usage (from the repo root):
//   node scripts/convert-pandalm.mjs [SOURCE_DIR] [OUTPUT_DIR]
//
// SOURCE_DIR defaults to ../shared/datasets/pandalm relative to the repo root and must hold
// testset-v1.json, gpt-3.5-turbo-testset-v1.json, pandalm-7b-testset-v1.json, LICENSE and
// SOURCE. OUTPUT_DIR defaults to data/pandalm under the repo root.
//
// Verdict mapping (PandaLM's own coding, see README.upstream.md and the upstream
// data/compute_metrics.py): 1 = response1 better -> "A", 2 = response2 better -> "B",
// 0 = similar quality -> "tie". gpt-3.5-turbo's results are strings: "1", "2", "Tie"
// ("Tie" is the documented tie token of PandaLM's evaluation format), and "garbage" for
// calls that produced no usable answer. Anything that is not one of those tokens becomes
// verdict null with an "error" field; it is never folded into a class (upstream's
// compute_metrics.py counts "garbage" as a tie; Concur does not).

import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const scriptDir = path.dirname(fileURLToPath(import.meta.url));
const repoRoot = path.resolve(scriptDir, '..');
const srcDir = path.resolve(process.argv[2] ?? path.join(repoRoot, '..', 'shared', 'datasets', 'pandalm'));
const outDir = path.resolve(process.argv[3] ?? path.join(repoRoot, 'data', 'pandalm'));

function fail(msg) {
  process.stderr.write(`convert-pandalm: ${msg}\n`);
  process.exit(1);
}

function readJsonArray(name) {
  const file = path.join(srcDir, name);
  let data;
  try {
    data = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    fail(`cannot read ${file}: ${e.message}`);
  }
  if (!Array.isArray(data)) fail(`${file}: expected a JSON array`);
  return { file, data };
}

function requireString(file, i, rec, field) {
  if (typeof rec[field] !== 'string') fail(`${file}: record ${i} (idx ${rec.idx}): field "${field}" is not a string`);
  return rec[field];
}

// Response text. Upstream stores six responses as the JSON boolean `true` instead of a string
// (idx 157, 158, 159, 164 response1; 161, 162 response2: presumably a generated "True" that was
// parsed as JSON somewhere upstream). Such scalars (boolean/number) are written as their JSON
// text ("true") and listed in the conversion log; anything else that is not a string is an error.
const scalarResponses = [];
function responseText(file, i, rec, field) {
  const v = rec[field];
  if (typeof v === 'string') return v;
  if (typeof v === 'boolean' || (typeof v === 'number' && Number.isFinite(v))) {
    scalarResponses.push(`idx ${rec.idx} ${field}: ${JSON.stringify(v)}`);
    return JSON.stringify(v);
  }
  fail(`${file}: record ${i} (idx ${rec.idx}): field "${field}" is ${v === null ? 'null' : typeof v}, expected a string`);
}

function requireIdx(file, i, rec) {
  if (!Number.isInteger(rec.idx) || rec.idx < 0) fail(`${file}: record ${i}: field "idx" is not a non-negative integer`);
  return rec.idx;
}

const HUMAN = { 0: 'tie', 1: 'A', 2: 'B' };

// Judge result -> verdict, or null when it is not a recognised token.
function judgeVerdict(value) {
  if (value === 0 || value === 1 || value === 2) return HUMAN[value];
  if (value === '0' || value === '1' || value === '2') return HUMAN[Number(value)];
  if (typeof value === 'string' && value.toLowerCase() === 'tie') return 'tie';
  return null;
}

function rawString(value) {
  return typeof value === 'string' ? value : JSON.stringify(value);
}

const jsonl = (rows) => rows.map((r) => JSON.stringify(r)).join('\n') + '\n';

// ---- read and validate the human-annotated test set ----
const test = readJsonArray('testset-v1.json');
const seen = new Set();
const items = [];
const labels = { annotator1: [], annotator2: [], annotator3: [] };
const bad = [];
test.data.forEach((rec, i) => {
  const idx = requireIdx(test.file, i, rec);
  if (seen.has(idx)) fail(`${test.file}: record ${i}: duplicate idx ${idx}`);
  seen.add(idx);
  const id = `pandalm-${idx}`;
  const instruction = requireString(test.file, i, rec, 'instruction');
  const input = requireString(test.file, i, rec, 'input');
  const response1 = responseText(test.file, i, rec, 'response1');
  const response2 = responseText(test.file, i, rec, 'response2');
  const motivationApp = requireString(test.file, i, rec, 'motivation_app');
  const cmpKey = requireString(test.file, i, rec, 'cmp_key');
  const models = cmpKey.split('_');
  if (models.length !== 2 || !models[0] || !models[1]) fail(`${test.file}: record ${i} (idx ${idx}): cmp_key "${cmpKey}" is not "<model_a>_<model_b>"`);
  items.push({
    id,
    input: input === '' ? instruction : `${instruction}\n\n${input}`,
    output: response1,
    output_b: response2,
    context: { instruction, input },
    dimensions: { motivation_app: motivationApp, cmp_key: cmpKey, model_a: models[0], model_b: models[1] },
  });
  for (const a of Object.keys(labels)) {
    const v = rec[a];
    if (v !== 0 && v !== 1 && v !== 2) bad.push(`record ${i} (idx ${idx}): ${a} = ${JSON.stringify(v)}`);
    else labels[a].push({ id, verdict: HUMAN[v] });
  }
});
if (bad.length) fail(`${test.file}: annotator values must be the integers 0, 1 or 2:\n  ${bad.join('\n  ')}`);

// ---- judge runs ----
function convertRun(name, resultField, reasonField) {
  const src = readJsonArray(name);
  const seenRun = new Set();
  const counts = new Map();
  const rows = src.data.map((rec, i) => {
    const idx = requireIdx(src.file, i, rec);
    if (!seen.has(idx)) fail(`${src.file}: record ${i}: idx ${idx} is not in testset-v1.json`);
    if (seenRun.has(idx)) fail(`${src.file}: record ${i}: duplicate idx ${idx}`);
    seenRun.add(idx);
    if (!(resultField in rec)) fail(`${src.file}: record ${i} (idx ${idx}): missing field "${resultField}"`);
    const value = rec[resultField];
    const key = `${typeof value}:${rawString(value)}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
    const verdict = judgeVerdict(value);
    const row = {
      id: `pandalm-${idx}`,
      verdict,
      critique: requireString(src.file, i, rec, reasonField),
      raw: rawString(value),
    };
    if (verdict === null) row.error = `unparseable judge output: ${rawString(value)}`;
    return row;
  });
  if (seenRun.size !== seen.size) fail(`${src.file}: covers ${seenRun.size} of ${seen.size} items`);
  return { rows, counts: [...counts.entries()].sort((a, b) => b[1] - a[1]) };
}

const gpt = convertRun('gpt-3.5-turbo-testset-v1.json', 'gpt_result', 'gpt_reason');
const panda = convertRun('pandalm-7b-testset-v1.json', 'pandalm_result', 'pandalm_reason');

// ---- human majority (for the README only) ----
const majority = { tie: 0, A: 0, B: 0, none: 0 };
items.forEach((_, i) => {
  const v = [labels.annotator1[i].verdict, labels.annotator2[i].verdict, labels.annotator3[i].verdict];
  const m = v.find((x) => v.filter((y) => y === x).length >= 2);
  majority[m ?? 'none'] += 1;
});

// ---- provenance ----
let licenseText, sourceLine;
try {
  licenseText = fs.readFileSync(path.join(srcDir, 'LICENSE'), 'utf8');
  sourceLine = fs.readFileSync(path.join(srcDir, 'SOURCE'), 'utf8').trim();
} catch (e) {
  fail(`cannot read LICENSE/SOURCE in ${srcDir}: ${e.message}`);
}
if (!/Apache License\s+Version 2\.0/.test(licenseText)) fail(`${srcDir}/LICENSE is not the Apache License 2.0`);
const [sourceRepo, sourceCommit] = sourceLine.split(/\s+/);
if (!sourceRepo || !/^[0-9a-f]{40}$/.test(sourceCommit ?? '')) fail(`${srcDir}/SOURCE: expected "<owner/repo> <40-hex commit>"`);

const countsTable = (counts) =>
  counts.map(([k, n]) => {
    const [type, ...rest] = k.split(':');
    const v = rest.join(':');
    const verdict = judgeVerdict(type === 'number' ? Number(v) : v);
    return `| \`${type === 'string' ? JSON.stringify(v) : v}\` (${type}) | ${n} | ${verdict === null ? 'null (error)' : `"${verdict}"`} |`;
  }).join('\n');

const notice = `# NOTICE — PandaLM human-annotated test set

This directory contains data from **PandaLM** (Reproducible and Automated Language Model Assessment):

- Source repository: https://github.com/${sourceRepo}
- Commit: \`${sourceCommit}\`
- Files used: \`data/testset-v1.json\`, \`data/gpt-3.5-turbo-testset-v1.json\`, \`data/pandalm-7b-testset-v1.json\`
- Copyright 2023 Yidong Wang, Zhuohao Yu (per the upstream LICENSE).
- Authors (per the upstream README / paper citation): Yidong Wang, Zhuohao Yu, Zhengran Zeng,
  Linyi Yang, Qiang Heng, Cunxiang Wang, Hao Chen, Chaoya Jiang, Rui Xie, Jindong Wang, Xing Xie,
  Wei Ye, Shikun Zhang, Yue Zhang.
- Paper: Wang et al., *PandaLM: An Automatic Evaluation Benchmark for LLM Instruction Tuning
  Optimization*, ICLR 2024, https://arxiv.org/abs/2306.05087

## Licence

The upstream repository (except the PandaLM model weights, which are not included here) is
licensed under the Apache License, Version 2.0. This data is redistributed under the same
licence; a copy is in \`LICENSE\` in this directory.

## Changes

Format conversion only, performed by \`scripts/convert-pandalm.mjs\` in this repository:
the three upstream JSON files were rewritten as Concur import files (JSONL); field names were
changed, the numeric labels 1 / 2 / 0 were rewritten as "A" / "B" / "tie", the judge result
tokens were mapped the same way (unrecognised tokens such as "garbage" become a null verdict
with an error instead of a tie), and item ids were prefixed with \`pandalm-\`. No text
(instructions, inputs, responses, reasons) was edited, and no item was added or removed, with
one exception forced by the format: ${scalarResponses.length} responses that upstream stores as a
JSON boolean rather than a string (${scalarResponses.join('; ')}) are written as the
string of their JSON text, \`"true"\`. The
judges' reference answers (\`gpt_reference\`, \`pandalm_reference\`) are not carried over.
`;

const readme = `# PandaLM test set (Concur import files)

${items.length} pairwise items from the PandaLM human-annotated test set: an instruction (and
optional input) with two responses from different instruction-tuned 7B models (LLaMA-7B,
Bloom-7B, Cerebras-GPT-6.7B, OPT-7B, Pythia-6.9B), each labelled independently by three human
annotators, plus the published verdicts of two judges (gpt-3.5-turbo and PandaLM-7B).
Provenance and licence: \`NOTICE.md\`, \`LICENSE\` (Apache-2.0). Regenerate with
\`node scripts/convert-pandalm.mjs\`.

## Files

| File | Content |
| --- | --- |
| \`items.jsonl\` | one item per line: \`id\` (\`pandalm-<idx>\`), \`input\` (instruction, then a blank line and the input when there is one), \`output\` (response 1), \`output_b\` (response 2), \`context\` (\`instruction\`, \`input\`), \`dimensions\` (\`motivation_app\`, \`cmp_key\`, \`model_a\`, \`model_b\`) |
| \`labels-annotator1.jsonl\`, \`labels-annotator2.jsonl\`, \`labels-annotator3.jsonl\` | \`{"id", "verdict"}\` per item, one file per human annotator |
| \`run-gpt-3.5-turbo.jsonl\`, \`run-pandalm-7b.jsonl\` | imported judge runs: \`{"id", "verdict", "critique", "raw"}\`, plus \`"error"\` when the verdict is null |

## Verdict mapping

Upstream coding: 1 = response 1 better, 2 = response 2 better, 0 = similar quality.

| Upstream | Concur verdict |
| --- | --- |
| \`1\` | \`"A"\` (\`output\` is better) |
| \`2\` | \`"B"\` (\`output_b\` is better) |
| \`0\` / \`"Tie"\` | \`"tie"\` |
| anything else (e.g. \`"garbage"\`) | \`null\`, with \`"error": "unparseable judge output: <value>"\` |

Responses are verbatim, except ${scalarResponses.length} that upstream stores as the JSON boolean
\`true\` (${scalarResponses.map((x) => x.replace(/: .*/, '')).join(', ')}); they are written as the
string \`"true"\`.

\`critique\` is the judge's reason (\`gpt_reason\` / \`pandalm_reason\`, verbatim; empty for the
"garbage" rows); \`raw\` is the upstream result field as a string.

gpt-3.5-turbo result values:

| Value | Count | Verdict |
| --- | --- | --- |
${countsTable(gpt.counts)}

PandaLM-7B result values:

| Value | Count | Verdict |
| --- | --- | --- |
${countsTable(panda.counts)}

Note: upstream's \`data/compute_metrics.py\` counts "garbage" as a tie; here those rows are
errors and are excluded from agreement metrics. PandaLM's own inference code also maps any
unparseable generation to 0 (tie) before the result is stored, so a PandaLM-7B "tie" cannot be
told apart from a parse failure in the published file (at the pinned commit, every one of its
0-rows has a reason beginning "Both", so they read as genuine ties).

Human majority label (at least 2 of 3 annotators agree): tie / A / B = ${majority.tie} / ${majority.A} / ${majority.B}
(upstream publishes 105 / 422 / 472); items where all three annotators differ: ${majority.none}.
`;

// ---- write ----
fs.mkdirSync(outDir, { recursive: true });
const writes = {
  'items.jsonl': jsonl(items),
  'labels-annotator1.jsonl': jsonl(labels.annotator1),
  'labels-annotator2.jsonl': jsonl(labels.annotator2),
  'labels-annotator3.jsonl': jsonl(labels.annotator3),
  'run-gpt-3.5-turbo.jsonl': jsonl(gpt.rows),
  'run-pandalm-7b.jsonl': jsonl(panda.rows),
  LICENSE: licenseText,
  'NOTICE.md': notice,
  'README.md': readme,
};
for (const [name, text] of Object.entries(writes)) fs.writeFileSync(path.join(outDir, name), text);

const summary = (counts) => counts.map(([k, n]) => `${k}=${n}`).join(', ');
process.stdout.write(
  `convert-pandalm: ${items.length} items from ${srcDir} -> ${outDir}\n` +
  `  gpt-3.5-turbo gpt_result: ${summary(gpt.counts)}\n` +
  `  pandalm-7b pandalm_result: ${summary(panda.counts)}\n` +
  `  non-string responses written as JSON text: ${scalarResponses.length ? scalarResponses.join('; ') : 'none'}\n`,
);
