import { resolve } from 'node:path';
import { defineConfig } from 'electron-vite';
import react from '@vitejs/plugin-react';
import type { Plugin } from 'vite';
import { cspMetaTag } from './src-main/api/content-security-policy';

/**
 * The built page carries the production Content-Security-Policy as its first <meta>, from
 * the one definition the shell and `fieldbench serve` also send as a header. Only for the
 * build: the dev server's inline React Refresh preamble needs the development policy,
 * which the Electron shell sends as a header.
 */
function contentSecurityPolicyMeta(): Plugin {
  return {
    name: 'fieldbench-csp-meta',
    apply: 'build',
    transformIndexHtml: {
      order: 'pre',
      handler: (html) => {
        const charset = '<meta charset="utf-8" />';
        // A page built without its policy must not ship: fail the build instead.
        if (!html.includes(charset)) throw new Error(`src-renderer/index.html lost its ${charset}; the CSP <meta> goes right after it`);
        return html.replace(charset, `${charset}\n    ${cspMetaTag()}`);
      },
    },
  };
}

// Three bundles from three folders. The preload runs sandboxed, where only CommonJS is
// allowed, so it is built as one self-contained .cjs file with its few imports inlined.
// The main bundle has a second entry, the capture worker: a worker thread runs a file, and
// log-worker-location.ts looks for it next to index.js. Code both entries share goes to
// chunks in the same folder, so the worker's URL holds from whichever file asks.
export default defineConfig({
  main: {
    build: {
      outDir: 'out/main',
      externalizeDeps: true,
      rollupOptions: {
        input: {
          index: resolve(__dirname, 'src-main/shell/main.ts'),
          'log-worker': resolve(__dirname, 'src-main/core/logs/log-worker.ts'),
        },
        output: { entryFileNames: '[name].js', chunkFileNames: '[name]-[hash].js' },
      },
    },
  },
  preload: {
    build: {
      outDir: 'out/preload',
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(__dirname, 'src-preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    root: resolve(__dirname, 'src-renderer'),
    base: './',
    plugins: [react(), contentSecurityPolicyMeta()],
    build: {
      outDir: resolve(__dirname, 'out/renderer'),
      minify: true,
      rollupOptions: { input: { index: resolve(__dirname, 'src-renderer/index.html') } },
    },
  },
});
