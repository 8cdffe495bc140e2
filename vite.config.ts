import { defineConfig } from 'vite';
import { svelte } from '@sveltejs/vite-plugin-svelte';

// The web app lives in web/ and is built into dist/web, which the Fastify server serves.
export default defineConfig({
  root: 'web',
  plugins: [svelte()],
  build: { outDir: '../dist/web', emptyOutDir: true, chunkSizeWarningLimit: 800 },
  server: { port: 5173, proxy: { '/api': 'http://127.0.0.1:5174' } },
});
