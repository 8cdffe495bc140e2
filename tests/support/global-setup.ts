import { ensureWebBuild } from '../../server/main.ts';

/**
 * Browser tests need the built web app; build it once (skipped when up to date). A build
 * failure is reported here and makes the browser tests fail on their own, without stopping
 * the API and statistics tests from running.
 */
export default async function setup() {
  try {
    await ensureWebBuild(() => {});
  } catch (e) {
    console.error(`\nThe web app failed to build; browser tests will fail:\n${e instanceof Error ? e.message : e}\n`);
  }
}
