import { existsSync, readFileSync } from 'node:fs';
import { join, sep } from 'node:path';
import { ROOT } from '../paths.ts';
import type { Workspace } from './workspace.ts';
import { readRecordsFromFile } from './records.ts';
import { MAJORITY } from '../db/labels.ts';

export const DATA_DIR = join(ROOT, 'data') + sep;

const SUPPORT = {
  dataset: 'acme-billing-support',
  criterion: "Resolves the customer's billing issue correctly and safely",
  description: "The reply answers the customer's actual billing question, follows Acme's billing policy in the context, never invents discounts, features or data, and escalates legal threats or account security issues.",
  principal: 'maria.chen',
};

/**
 * Puts the built-in samples into a workspace: the synthetic Acme billing-support set (items,
 * the expert's labels and critiques, a second annotator, judge prompt v1). Idempotent: a
 * sample dataset that already exists is left alone.
 */
export function installSamples(ws: Workspace): string[] {
  const installed: string[] = [];
  const dir = join(DATA_DIR, 'samples', 'support');
  if (existsSync(join(dir, 'items.jsonl')) && !ws.repos.datasets.byName(SUPPORT.dataset)) {
    ws.repos.db.transaction(() => {
      const file = (name: string) => ({ name: `data/samples/support/${name}`, records: readRecordsFromFile(join(dir, name)) });
      ws.importItems(SUPPORT.dataset, file('items.jsonl'));
      const criterion = ws.addCriterion(SUPPORT.dataset, { name: SUPPORT.criterion, description: SUPPORT.description, principalAnnotator: SUPPORT.principal });
      ws.importLabels(criterion, file('labels.jsonl'), SUPPORT.principal);
      if (existsSync(join(dir, 'labels-second-annotator.jsonl'))) ws.importLabels(criterion, file('labels-second-annotator.jsonl'), 'sam.okafor');
      const labels = ws.repos.labels.currentByItem(criterion.id, SUPPORT.principal);
      // two train-split examples the expert labelled, one pass and one fail, as v1's few-shot examples
      const train = ws.repos.items.all(criterion.datasetId).filter((i) => i.split === 'train' && labels.get(i.id)?.verdict && !labels.get(i.id)?.ambiguous);
      const examples = ['pass', 'fail'].map((v) => train.find((i) => labels.get(i.id)!.verdict === v)?.externalId).filter((x): x is string => !!x);
      ws.addVersion(criterion, {
        template: readFileSync(join(dir, 'judge-v1.md'), 'utf8'), model: 'gpt-4o-mini', temperature: 0, examples,
        note: 'v1: first draft from the expert critiques, two few-shot examples',
      });
    })();
    installed.push(SUPPORT.dataset);
  }
  if (installPandaLM(ws)) installed.push(PANDALM.dataset);
  return installed;
}

const PANDALM = {
  dataset: 'pandalm-human-judgments',
  criterion: 'Which response better follows the instruction',
  description: 'Pairwise: A if response A (response1) is better, B if response B (response2) is better, tie if neither is. Human labels by three annotators; the reference is their majority vote.',
};

/**
 * The PandaLM test set (Apache-2.0, see data/pandalm/NOTICE.md): 999 pairwise items, three
 * annotators, and GPT-3.5-turbo's and PandaLM-7B's verdicts as imported runs. The reference
 * label is the annotators' majority vote.
 */
function installPandaLM(ws: Workspace): boolean {
  const dir = join(DATA_DIR, 'pandalm');
  if (!existsSync(join(dir, 'items.jsonl')) || ws.repos.datasets.byName(PANDALM.dataset)) return false;
  const file = (name: string) => ({ name: `data/pandalm/${name}`, records: readRecordsFromFile(join(dir, name)) });
  ws.repos.db.transaction(() => {
    ws.importItems(PANDALM.dataset, file('items.jsonl'));
    const criterion = ws.addCriterion(PANDALM.dataset, { name: PANDALM.criterion, description: PANDALM.description, scale: 'pairwise', principalAnnotator: MAJORITY });
    for (const n of [1, 2, 3]) ws.importLabels(criterion, file(`labels-annotator${n}.jsonl`), `annotator${n}`);
    ws.importRun(criterion, file('run-gpt-3.5-turbo.jsonl'), 'gpt-3.5-turbo (PandaLM paper)');
    ws.importRun(criterion, file('run-pandalm-7b.jsonl'), 'PandaLM-7B (PandaLM paper)');
    const template = join(DATA_DIR, 'samples', 'pandalm-judge-v1.md');
    if (existsSync(template)) {
      ws.addVersion(criterion, { template: readFileSync(template, 'utf8'), model: 'gpt-4o-mini', temperature: 0, note: 'v1: a plain pairwise judge to compare with the published judges' });
    }
  })();
  return true;
}
