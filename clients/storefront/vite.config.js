import { defineConfig } from 'vite';

// The gateway serves dist/ at / (src/Commerce.Gateway/Storefront): hashed files under assets/ are
// cached for a year, index.html is revalidated on every load.
export default defineConfig({
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsDir: 'assets',
    target: 'es2022',
  },
  server: {
    // `npm run dev` against a silo started by deploy/run (COMMERCE_HTTP_PORT, default 5000).
    proxy: {
      '/api': `http://127.0.0.1:${process.env.COMMERCE_HTTP_PORT ?? 5000}`,
      '/hubs': { target: `http://127.0.0.1:${process.env.COMMERCE_HTTP_PORT ?? 5000}`, ws: true },
    },
  },
});
