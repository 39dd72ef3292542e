/// <reference types="vitest/config" />
import { fileURLToPath } from "node:url";
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// The app builds into the Python package, which serves it at `/` (see liquibond/web).
const outDir = fileURLToPath(new URL("../src/liquibond/web/static", import.meta.url));
const api = process.env.LIQUIBOND_API ?? "http://127.0.0.1:8000";

export default defineConfig({
  plugins: [react()],
  build: { outDir, emptyOutDir: true, sourcemap: true, chunkSizeWarningLimit: 1024 },
  server: { proxy: { "/api": { target: api, ws: true } } },
  test: { include: ["src/**/*.test.ts"], environment: "node" },
});
