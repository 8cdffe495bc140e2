import { ensureWebBuild } from '../../server/main.ts';

/** Browser tests need the built web app; build it once (skipped when up to date). */
export default async function setup() {
  await ensureWebBuild(() => {});
}
