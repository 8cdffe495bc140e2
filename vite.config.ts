import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

/** The Concur server the dev server forwards /api to (`npm start`). */
const API = 'http://127.0.0.1:5174';
/** The dev server's own page; its changes are forwarded as coming from the API's origin. */
const DEV_ORIGINS = new Set(['http://localhost:5173', 'http://127.0.0.1:5173']);

// The web app lives in web/ and is built into dist/web, which the Fastify server serves.
export default defineConfig({
  root: 'web',
  plugins: [svelte()],
  build: { outDir: '../dist/web', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: {
    port: 5173,
    proxy: {
      '/api': {
        target: API,
        // Concur answers only requests addressed to a host it is served as (421 otherwise)
        changeOrigin: true,
        configure(proxy) {
          // a change from the dev page passes Concur's Origin rule; one from any other page still fails it
          proxy.on('proxyReq', (req) => {
            const origin = req.getHeader('origin');
            if (typeof origin === 'string' && DEV_ORIGINS.has(origin)) req.setHeader('origin', API);
          });
        },
      },
    },
  },
});
