/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The app builds into the Python package, which serves it at `/` (see liquibond/web).
const outDir = fileURLToPath(new URL("../src/liquibond/web/static", import.meta.url));
const api = process.env.LIQUIBOND_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  // Each screen is a chunk of its own (see src/router.tsx): Vite's default 500 kB warning stays on
  // guard against a screen pulling a large library into the shell.
  build: { outDir, emptyOutDir: true, sourcemap: true },
  server: { proxy: { "/api": { target: api, ws: true } } },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
