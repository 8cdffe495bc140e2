import { buildServer, buildWeb, webBuildIsStale } from '../../scripts/build.ts';

/**
 * The CLI tests run the real executable (bin/concur.js → dist/server/cli.js), so the compiled
 * server is rebuilt from the current sources before every test run (esbuild: under a second) —
 * the tests can never exercise stale compiled code. The browser tests need the built web app;
 * it is rebuilt when any of its sources is newer than the build. A web build failure is reported
 * here and makes the browser tests fail on their own, without stopping the other tests.
 */
export default async function setup() {
  await buildServer();
  try {
    if (webBuildIsStale()) await buildWeb();
  } catch (e) {
    console.error(`\nThe web app failed to build; browser tests will fail:\n${e instanceof Error ? e.message : e}\n`);
  }
}
