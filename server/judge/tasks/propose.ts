/**
 * The optimizer's proposer: one call that receives the current template, the train disagreements
 * (expert and judge verdicts and critiques) and train failure modes, and returns a revised template,
 * a rationale and the changes with the items that motivated each (docs/stand-in.md, concur_proposal).
 *
 * HARD RULE: only train items reach the proposer. The split of every item named in the inputs (a
 * disagreement or a failure mode's item) is read from the workspace here, never taken from the
 * caller; anything else is refused before a task exists.
 */
import type { Repositories } from '../../db/index.ts';
import type { Split } from '../../../shared/types.ts';
import { ValidationError } from '../../errors.ts';
import { fenceFor, oneLine, parseJsonObject, TaskReplyError, type TaskKind } from './kind.ts';

export interface Disagreement {
  /** the item's internal id */
  itemId: number;
  expertVerdict: string;
  judgeVerdict: string;
  expertCritique: string;
  judgeCritique?: string;
}

export interface ProposeInputs {
  criterion: { name: string; description?: string };
  version: { id?: number; number?: number; template: string };
  trainDisagreements: Disagreement[];
  /** failure modes built from train items only */
  failureModes?: Array<{ name: string; definition: string; items?: number[] }>;
}

export interface Proposal {
  template: string;
  rationale: string;
  changes: Array<{ change: string; because: string[] }>;
}

export const PROPOSAL_SCHEMA_NAME = 'concur_proposal';

const responseFormat = {
  type: 'json_schema',
  json_schema: {
    name: PROPOSAL_SCHEMA_NAME,
    strict: true,
    schema: {
      type: 'object',
      properties: {
        template: { type: 'string' },
        rationale: { type: 'string' },
        changes: {
          type: 'array',
          items: {
            type: 'object',
            properties: { change: { type: 'string' }, because: { type: 'array', items: { type: 'string' } } },
            required: ['change', 'because'], additionalProperties: false,
          },
        },
      },
      required: ['template', 'rationale', 'changes'],
      additionalProperties: false,
    },
  },
};

const SYSTEM = 'You improve the prompt of an LLM judge so that its verdicts agree with a domain expert. '
  + 'Read the current template and the items where the judge disagreed with the expert, and return a revised template, '
  + 'a rationale that cites which expert critiques motivated each change, and the list of changes. Answer with JSON only.';

function splitOf(repos: Repositories, itemId: number): Split | undefined {
  return repos.items.get(itemId)?.split;
}

export const proposeKind: TaskKind<ProposeInputs, Proposal> = {
  name: 'propose',
  validate(repos, inputs) {
    if (typeof inputs.version?.template !== 'string' || !inputs.version.template.trim()) throw new ValidationError('version.template', 'the proposer needs the current template');
    if (!Array.isArray(inputs.trainDisagreements)) throw new ValidationError('trainDisagreements', 'must be a list');
    inputs.trainDisagreements.forEach((d, i) => {
      const split = splitOf(repos, d.itemId);
      if (split === undefined) throw new ValidationError(`trainDisagreements[${i}].itemId`, `item ${d.itemId} does not exist`);
      if (split !== 'train') throw new ValidationError(`trainDisagreements[${i}].itemId`, `item ${d.itemId} is in the ${split} split: the proposer reads train items only`);
    });
    (inputs.failureModes ?? []).forEach((m, i) => {
      for (const id of m.items ?? []) {
        const split = splitOf(repos, id);
        if (split !== 'train') throw new ValidationError(`failureModes[${i}].items`, `item ${id} is ${split === undefined ? 'missing' : `in the ${split} split`}: the proposer reads failure modes built from train items only`);
      }
    });
  },
  render(repos, inputs) {
    const t = inputs.version.template;
    const fence = fenceFor(t);
    const parts = [`## Criterion\n${oneLine(inputs.criterion.name)}${inputs.criterion.description ? `: ${oneLine(inputs.criterion.description)}` : ''}`];
    parts.push(`## Current template\n${fence}\n${t}\n${fence}`);
    if (inputs.failureModes?.length) {
      parts.push(`## Failure modes (from train items)\n${inputs.failureModes.map((m) => `- ${oneLine(m.name)}: ${oneLine(m.definition)}`).join('\n')}`);
    }
    const entries = inputs.trainDisagreements.map((d) => {
      const lines = [
        `Item: ${repos.items.get(d.itemId)!.externalId}`,
        `Expert verdict: ${d.expertVerdict}`,
        `Judge verdict: ${d.judgeVerdict}`,
        `Expert critique: ${oneLine(d.expertCritique)}`,
      ];
      if (d.judgeCritique) lines.push(`Judge critique: ${oneLine(d.judgeCritique)}`);
      return lines.join('\n');
    });
    parts.push(`## Disagreements\n${entries.join('\n\n')}`);
    return { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: parts.join('\n\n') }], responseFormat };
  },
  parse(_repos, _inputs, content) {
    const o = parseJsonObject(content);
    if (typeof o.template !== 'string' || typeof o.rationale !== 'string' || !Array.isArray(o.changes)) {
      throw new TaskReplyError('the reply lacks template, rationale or changes');
    }
    const changes = o.changes.map((c, i) => {
      const x = c as { change?: unknown; because?: unknown };
      if (typeof x?.change !== 'string' || !Array.isArray(x.because) || !x.because.every((b) => typeof b === 'string')) {
        throw new TaskReplyError(`changes[${i}] is not {change, because[]}`);
      }
      return { change: x.change, because: x.because as string[] };
    });
    return { template: o.template, rationale: o.rationale, changes };
  },
};
