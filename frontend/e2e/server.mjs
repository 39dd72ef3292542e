/** A real `liquibond demo` server on a free port with a fresh embedded database, for the browser tests. */
import { spawn } from "node:child_process";
import { createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** A TCP port nobody listens on right now. */
function freePort() {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", reject);
    probe.listen(0, "127.0.0.1", () => {
      const { port } = probe.address();
      probe.close(() => resolve(port));
    });
  });
}

async function waitUntilReady(base, child, timeoutMs) {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`liquibond exited with ${child.exitCode}`);
    try {
      const ready = await fetch(`${base}/readyz`);
      const listed = ready.ok && (await fetch(`${base}/api/v1/market/tickers`));
      if (listed && listed.ok && (await listed.json()).length > 0) return;
    } catch {
      // not listening yet
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`liquibond was not ready within ${timeoutMs} ms`);
}

/** The environment without any configured database or Redis: the test runs embedded. */
function embeddedEnv(env) {
  const { LIQUIBOND_DATABASE_URL: _db, LIQUIBOND_REDIS_URL: _redis, ...rest } = env;
  return rest;
}

/** Start the demo server; `stop()` ends it and removes its data. Logs go to `logFile`. */
export async function startServer(logFile) {
  const port = await freePort();
  const dataDir = mkdtempSync(path.join(tmpdir(), "liquibond-e2e-"));
  const log = createWriteStream(logFile);
  const child = spawn(path.join(ROOT, ".venv/bin/liquibond"), ["demo", "--port", String(port)], {
    cwd: ROOT,
    env: {
      ...embeddedEnv(process.env),
      LIQUIBOND_DATA_DIR: dataDir,
      // The demo market maker quotes every second, so a resting sell is there to cross.
      LIQUIBOND_DEMO_LIQUIDITY_INTERVAL_SECONDS: "1",
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const base = `http://127.0.0.1:${port}`;
  try {
    await waitUntilReady(base, child, 90_000);
  } catch (error) {
    child.kill("SIGKILL");
    throw error;
  }
  return {
    base,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((resolve) => child.once("exit", resolve));
        child.kill("SIGTERM");
        await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 10_000))]);
        if (child.exitCode === null) child.kill("SIGKILL");
      }
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
