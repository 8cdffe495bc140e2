/** @deprecated server/cli.ts only, until the CLI imports describeCostPreview from ./cost-preview.ts (then delete this file). */
export { describeCostPreview as describeEstimate } from './cost-preview.ts';
