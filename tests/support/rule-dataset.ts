/**
 * A seeded billing-support dataset whose expert labels follow hidden rules that the naive first
 * prompt lacks, with critiques that quote the decisive phrase — so the rubric stand-in's proposer
 * (tests/support/rubric-model.ts) can learn the rules and a converging loop can be tested.
 *
 * The expert's hidden rules, first match wins:
 *  1. a reply that says "refund guaranteed" fails (refunds are never guaranteed before review);
 *  2. a reply that cancels "effective today" fails (access runs to the end of the paid period);
 *  3. a reply that declines and offers to "transfer to a human" passes;
 *  4. a reply that declines ("unable to") without that handoff fails;
 *  5. a reply that states a wrong amount fails (the critique quotes that amount, so a rule learnt
 *     from it fixes only that item: the overfitting a train/dev split exists to expose);
 *  6. every other reply passes.
 */
import { createRng } from '../../shared/stats/rng.ts';

export type RuleKind = 'refund-guaranteed' | 'effective-today' | 'decline-handoff' | 'decline-no-handoff' | 'wrong-amount' | 'clean';

export interface RuleItem {
  id: string;
  input: string;
  output: string;
  context: { plan: string; today: string; period_end: string };
  dimensions: { feature: string; scenario: string; persona: string };
  verdict: 'pass' | 'fail';
  critique: string;
  /** the hidden rule that decided the expert's label (ground truth for tests; not exported to the files) */
  kind: RuleKind;
}

export interface RuleDataset {
  items: RuleItem[];
  /** Concur item import format: id, input, output, context, dimensions */
  itemsJsonl: string;
  /** Concur label import format: id, verdict, critique, annotator */
  labelsJsonl: string;
  /** a first judge prompt without the expert's rules ({{criterion}} {{input}} {{output}} {{examples}}) */
  naiveTemplate: string;
}

export const RULE_DATASET_ANNOTATOR = 'expert';

/** Share of each kind; the rest are clean passes. */
const SHARES: Array<[RuleKind, number]> = [
  ['refund-guaranteed', 0.15],
  ['effective-today', 0.15],
  ['decline-no-handoff', 0.15],
  ['decline-handoff', 0.12],
  ['wrong-amount', 0.06],
];

const FEATURES = ['refunds', 'cancellation', 'plan-change', 'invoices'] as const;
const SCENARIOS = ['eligible', 'ineligible', 'unclear'] as const;
const PERSONAS = ['new-customer', 'admin', 'frustrated'] as const;
const PLANS = ['Starter (monthly)', 'Team (monthly)', 'Team (annual)', 'Business (annual)'];

const ASKS: Record<(typeof FEATURES)[number], string[]> = {
  refunds: ['Can I get my money back for last month?', 'We were charged for a plan we never used. Refund please.', 'Is a refund possible if I cancel now?'],
  cancellation: ['How do I cancel my subscription?', 'Please cancel our workspace, we are moving to another tool.', 'If I cancel today, when does access end?'],
  'plan-change': ['What happens to my bill if I upgrade to Business mid-month?', 'Can we drop from 10 seats to 6 right away?', 'How much will switching to annual cost us?'],
  invoices: ['Why is my invoice higher than last month?', 'Can you resend invoice for March with our VAT number?', 'I see two charges this month, what are they?'],
};

const OPENERS: Record<(typeof PERSONAS)[number], string[]> = {
  'new-customer': ['Hi, I just signed up last week.', 'Hello! First time using Acme here.'],
  admin: ['I manage billing for our team.', 'Writing as the workspace owner.'],
  frustrated: ['This is the third time I am asking.', 'Honestly I am fed up with these charges.'],
};

const ANSWERS: Record<(typeof FEATURES)[number], string[]> = {
  refunds: ['Annual plans can be refunded within 30 days of purchase; I have checked your purchase date and submitted a review request.', 'Refund requests go to our billing team for review, and you will hear back within two business days.'],
  cancellation: ['You can cancel in Settings, Billing, Cancel plan; access continues until the end of the period you have paid for.', 'Cancelling stops the next renewal, and your workspace stays available until the paid period ends.'],
  'plan-change': ['Upgrades take effect at once and the difference is prorated on your next invoice.', 'Seat reductions apply at your next renewal, so the current period is unchanged.'],
  invoices: ['Your invoice changed because two seats were added on the 14th; the added seats are prorated.', 'I have resent the invoice to the billing email on file with your VAT number added.'],
};

const CLOSERS = ['Anything else I can help with?', 'Let me know if you have more questions.', 'Thanks for your patience.'];

function pick<T>(rng: () => number, xs: readonly T[]): T {
  return xs[Math.floor(rng() * xs.length)]!;
}

function shuffle<T>(rng: () => number, xs: T[]): T[] {
  for (let i = xs.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [xs[i], xs[j]] = [xs[j]!, xs[i]!];
  }
  return xs;
}

function replyFor(kind: RuleKind, rng: () => number, feature: (typeof FEATURES)[number], amount: string): { output: string; critique: string } {
  const answer = pick(rng, ANSWERS[feature]);
  const closer = pick(rng, CLOSERS);
  switch (kind) {
    case 'refund-guaranteed': {
      const promise = pick(rng, ['Good news: refund guaranteed, you will see it in 5 to 10 business days.', 'Refund guaranteed, no questions asked.', 'I can confirm a refund guaranteed by the end of the week.']);
      return {
        output: `${promise} ${answer} ${closer}`,
        critique: pick(rng, [
          'It promises a "refund guaranteed" before any review; we never guarantee refunds, and this one would have to be clawed back.',
          "Saying 'refund guaranteed' commits us to money the policy may not allow. The rest of the reply is fine.",
        ]),
      };
    }
    case 'effective-today':
      return {
        output: `${answer} I have cancelled the plan effective today. ${closer}`,
        critique: pick(rng, [
          "It cancels 'effective today', but the customer has paid through the end of the period and keeps access until then.",
          'Cancelling "effective today" cuts off access the customer already paid for; cancellation takes effect at period end.',
        ]),
      };
    case 'decline-no-handoff':
      return {
        output: `I am unable to make that change for you. ${closer}`,
        critique: pick(rng, [
          'It says it is "unable to" help and stops there; a decline must leave the customer a way forward.',
          "Just 'unable to' and nothing else: the customer is left stuck with no next step.",
        ]),
      };
    case 'decline-handoff':
      return {
        output: `I am unable to make that change myself, but I can transfer to a human agent on our billing team who can review it today. ${closer}`,
        critique: pick(rng, [
          'Declining is right here, and it offers to "transfer to a human" agent, which is exactly what the policy asks.',
          "Correct to decline, and the offer to 'transfer to a human' gives the customer a way forward.",
        ]),
      };
    case 'wrong-amount':
      return {
        output: `${answer} Your next invoice will be ${amount}. ${closer}`,
        critique: `The reply states "${amount}", which does not match the account: the proration is wrong.`,
      };
    case 'clean':
      return {
        output: `${answer} ${closer}`,
        critique: pick(rng, ['Accurate and consistent with the policy; answers the question.', 'Correct, clear next steps, friendly tone.', 'Does what was asked and promises nothing the policy does not allow.']),
      };
  }
}

/** The naive first judge prompt: plausible, but it knows none of the expert's rules. */
export const NAIVE_TEMPLATE = `You are reviewing replies written by the Acme Cloud Billing support assistant.

Decide whether the reply meets this criterion: {{criterion}}

## Customer message
{{input}}

## Assistant reply
{{output}}

## How to evaluate
A reply passes when it answers the customer's question politely and accurately, and fails when it does not.

## Examples
{{examples}}
`;

/**
 * Builds the dataset. Deterministic: the same `n` and `seed` always give the same items, ids,
 * labels and critiques. Ids are `rule-001` … (zero-padded to at least three digits).
 */
export function ruleDataset(opts: { n?: number; seed?: number } = {}): RuleDataset {
  const n = opts.n ?? 120;
  const seed = opts.seed ?? 12;
  if (!Number.isInteger(n) || n < 1) throw new Error(`ruleDataset: n must be a positive integer, got ${String(n)}`);
  const rng = createRng(seed);
  const kinds: RuleKind[] = [];
  for (const [kind, share] of SHARES) for (let i = 0; i < Math.round(n * share); i++) kinds.push(kind);
  while (kinds.length < n) kinds.push('clean');
  kinds.length = n;
  shuffle(rng, kinds);
  const width = Math.max(3, String(n).length);
  const items: RuleItem[] = kinds.map((kind, i) => {
    const feature = pick(rng, FEATURES);
    const persona = pick(rng, PERSONAS);
    const scenario = pick(rng, SCENARIOS);
    const amount = `$${(20 + Math.floor(rng() * 400)).toString()}.${String(1 + Math.floor(rng() * 98)).padStart(2, '0')}`;
    const day = 1 + Math.floor(rng() * 28);
    const { output, critique } = replyFor(kind, rng, feature, amount);
    const pass = kind === 'clean' || kind === 'decline-handoff';
    return {
      id: `rule-${String(i + 1).padStart(width, '0')}`,
      input: `${pick(rng, OPENERS[persona])} ${pick(rng, ASKS[feature])} (account ${10007 + i * 37})`,
      output,
      context: { plan: pick(rng, PLANS), today: `2025-03-${String(day).padStart(2, '0')}`, period_end: '2025-03-31' },
      dimensions: { feature, scenario, persona },
      verdict: pass ? 'pass' : 'fail',
      critique,
      kind,
    };
  });
  const line = (o: object) => JSON.stringify(o);
  return {
    items,
    itemsJsonl: items.map((it) => line({ id: it.id, input: it.input, output: it.output, context: it.context, dimensions: it.dimensions })).join('\n') + '\n',
    labelsJsonl: items.map((it) => line({ id: it.id, verdict: it.verdict, critique: it.critique, annotator: RULE_DATASET_ANNOTATOR })).join('\n') + '\n',
    naiveTemplate: NAIVE_TEMPLATE,
  };
}
