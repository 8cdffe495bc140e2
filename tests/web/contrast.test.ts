import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/**
 * WCAG 2.1 contrast of the palette pairs the screens use for small text: interval figures and
 * dates (--faint), muted text, badges and chips, on the backgrounds they sit on. AA asks 4.5:1.
 * The colours are read from web/src/app.css (and the sidebar's own), so changing a colour there
 * re-checks it. Formula: https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio
 */
const css = readFileSync(fileURLToPath(new URL('../../web/src/app.css', import.meta.url)), 'utf8');
const sidebar = readFileSync(fileURLToPath(new URL('../../web/src/components/Sidebar.svelte', import.meta.url)), 'utf8');
const vars = new Map([...css.matchAll(/--([\w-]+):\s*(#[0-9a-fA-F]{6})\s*;/g)].map((m) => [m[1]!, m[2]!]));
const v = (name: string) => { const c = vars.get(name); if (!c) throw new Error(`app.css has no --${name}`); return c; };

function luminance(hex: string): number {
  const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16) / 255).map((c) => (c <= 0.03928 ? c / 12.92 : ((c + 0.055) / 1.055) ** 2.4));
  return 0.2126 * r! + 0.7152 * g! + 0.0722 * b!;
}
export function contrast(a: string, b: string): number {
  const [hi, lo] = [luminance(a), luminance(b)].sort((x, y) => y - x);
  return (hi! + 0.05) / (lo! + 0.05);
}

describe('contrast of the palette (WCAG AA, 4.5:1 for text)', () => {
  it('computes the published ratios (black on white 21:1, #777 on white 4.48:1)', () => {
    expect(contrast('#000000', '#ffffff')).toBeCloseTo(21, 6);
    expect(contrast('#777777', '#ffffff')).toBeCloseTo(4.48, 2);
  });

  const pairs: Array<[string, string, string]> = [
    ['interval figures and dates (faint) on a panel', v('faint'), v('panel')],
    ['faint on the page background', v('faint'), v('bg')],
    ['faint on the empty-state background', v('faint'), '#fbfbfc'],
    ['faint in the test columns of the metrics table', v('faint'), '#fffaf0'],
    ['faint on a selected (accent-soft) row', v('faint'), v('accent-soft')],
    ['muted text on a panel', v('muted'), v('panel')],
    ['muted text on the page background', v('muted'), v('bg')],
    ['neutral chip', v('muted'), '#eef0f3'],
    ['pass badge', v('pass'), v('pass-soft')],
    ['fail badge', v('fail'), v('fail-soft')],
    ['ambiguous badge', v('amb'), v('amb-soft')],
    ['accent chip', v('accent'), v('accent-soft')],
    ['primary button', '#ffffff', v('accent')],
    ['sidebar small labels', /\.tag \{ color: (#[0-9a-f]{6})/.exec(sidebar)![1]!, /background: (#[0-9a-f]{6}); color: #d6dbe3/.exec(sidebar)![1]!],
  ];
  it.each(pairs)('%s: %s on %s', (_what, fg, bg) => {
    expect(contrast(fg, bg)).toBeGreaterThanOrEqual(4.5);
  });
});
