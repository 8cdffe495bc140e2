/**
 * Failure-mode grouping (axial coding) by a model: one call with the critiques (and open-coding
 * tags) of failing items, answered with named modes, each with a definition and its items
 * (docs/stand-in.md, concur_failure_modes). Only train and dev items may be sent: the split of
 * every item is read from the workspace here and a test item is refused before a task exists.
 */
import type { Repositories } from '../../db/index.ts';
import { ValidationError } from '../../errors.ts';
import { oneLine, parseJsonObject, TaskReplyError, type TaskKind } from './kind.ts';

export interface GroupInputs {
  criterion: { name: string; description?: string };
  critiques: Array<{ itemId: number; critique: string; tags?: string[] }>;
}

/** Modes with the items' internal ids (the reply's external ids mapped back; unknown ids dropped). */
export interface Grouping { modes: Array<{ name: string; definition: string; items: number[] }> }

export const FAILURE_MODES_SCHEMA_NAME = 'concur_failure_modes';

const responseFormat = {
  type: 'json_schema',
  json_schema: {
    name: FAILURE_MODES_SCHEMA_NAME,
    strict: true,
    schema: {
      type: 'object',
      properties: {
        modes: {
          type: 'array',
          items: {
            type: 'object',
            properties: { name: { type: 'string' }, definition: { type: 'string' }, items: { type: 'array', items: { type: 'string' } } },
            required: ['name', 'definition', 'items'], additionalProperties: false,
          },
        },
      },
      required: ['modes'],
      additionalProperties: false,
    },
  },
};

const SYSTEM = 'You group an expert\'s critiques of failing AI responses into a small set of named failure modes. '
  + 'Give each mode a short kebab-case name, a one-line definition and the items it holds. Answer with JSON only.';

export const groupCritiquesKind: TaskKind<GroupInputs, Grouping> = {
  name: 'group-critiques',
  validate(repos, inputs) {
    if (!Array.isArray(inputs.critiques) || !inputs.critiques.length) throw new ValidationError('critiques', 'there are no critiques of failing train or dev items to group');
    inputs.critiques.forEach((c, i) => {
      const split = repos.items.get(c.itemId)?.split;
      if (split === undefined) throw new ValidationError(`critiques[${i}].itemId`, `item ${c.itemId} does not exist`);
      if (split !== 'train' && split !== 'dev') throw new ValidationError(`critiques[${i}].itemId`, `item ${c.itemId} is in the ${split} split: grouping reads train and dev items only`);
    });
  },
  render(repos, inputs) {
    const entries = inputs.critiques.map((c) => {
      const lines = [`Item: ${repos.items.get(c.itemId)!.externalId}`];
      if (c.tags?.length) lines.push(`Tags: ${c.tags.map(oneLine).join(', ')}`);
      lines.push(`Critique: ${oneLine(c.critique)}`);
      return lines.join('\n');
    });
    const head = `## Criterion\n${oneLine(inputs.criterion.name)}${inputs.criterion.description ? `: ${oneLine(inputs.criterion.description)}` : ''}`;
    return { messages: [{ role: 'system', content: SYSTEM }, { role: 'user', content: `${head}\n\n## Critiques\n${entries.join('\n\n')}` }], responseFormat };
  },
  parse(repos, inputs, content) {
    const o = parseJsonObject(content);
    if (!Array.isArray(o.modes)) throw new TaskReplyError('the reply has no modes list');
    const byExternal = new Map<string, number>();
    for (const c of inputs.critiques) byExternal.set(repos.items.get(c.itemId)!.externalId, c.itemId);
    const modes = o.modes.map((m, i) => {
      const x = m as { name?: unknown; definition?: unknown; items?: unknown };
      if (typeof x?.name !== 'string' || typeof x.definition !== 'string' || !Array.isArray(x.items)) throw new TaskReplyError(`modes[${i}] is not {name, definition, items[]}`);
      const items: number[] = [];
      for (const ext of x.items) {
        const id = typeof ext === 'string' ? byExternal.get(ext) : undefined;
        if (id !== undefined && !items.includes(id)) items.push(id);
      }
      return { name: x.name, definition: x.definition, items };
    });
    return { modes };
  },
};
