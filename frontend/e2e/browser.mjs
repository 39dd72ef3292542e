/**
 * What every browser test needs: a real `liquibond demo` server and Chromium for the file's
 * tests (`useBrowser` registers the before/after hooks), pages that collect console errors,
 * screenshots (and a screenshot of every open page when a test fails), navigation and sign-in.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { after, before } from "node:test";
import { chromium } from "playwright-core";
import { startServer } from "./server.mjs";

const OUT = path.resolve(import.meta.dirname, "../test-results");
const SHOTS = path.join(OUT, "screenshots");
const TIMEOUT = 20_000;

export const ADMIN = { email: "admin@demo.liquibond.dev", password: "demo-password-123" };

let server;
let browser;

/** Start a server and a browser before this file's tests, stop them after; logs to `logName`. */
export function useBrowser(logName) {
  before(async () => {
    mkdirSync(SHOTS, { recursive: true });
    server = await startServer(path.join(OUT, logName));
    browser = await chromium.launch({
      executablePath: process.env.CHROMIUM_PATH ?? "/usr/bin/chromium",
      headless: true,
      args: ["--no-sandbox", "--disable-background-networking", "--disable-dev-shm-usage"],
    });
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });
}

/** The running server's base URL. */
export function serverBase() {
  return server.base;
}

const openPages = new Set();

/** On a failure, a screenshot of every open page shows where each browser was. */
export async function shootOnFailure(name, body) {
  try {
    await body();
  } catch (error) {
    let index = 0;
    for (const page of openPages) {
      if (!page.isClosed()) await shot(page, `failed-${name}-${index++}`).catch(() => undefined);
    }
    throw error;
  }
}

export async function newPage(viewport = { width: 1280, height: 900 }) {
  const context = await browser.newContext({ baseURL: server.base, viewport });
  context.setDefaultTimeout(TIMEOUT);
  const page = await context.newPage();
  openPages.add(page);
  page.once("close", () => openPages.delete(page));
  const problems = [];
  page.on("pageerror", (error) => problems.push(String(error)));
  page.on("console", (message) => {
    // A 404 the app expects (no KYC application yet) is logged by the browser, not by the app.
    if (message.type() === "error" && !message.text().startsWith("Failed to load resource")) {
      problems.push(message.text());
    }
  });
  return { context, page, problems };
}

export async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
}

/** Go somewhere through the app's own navigation (a client-side route change, not a load). */
export async function navigate(page, label) {
  const toggle = page.getByRole("button", { name: "Menu" });
  if (await toggle.isVisible()) await toggle.click();
  const nav = page.getByRole("navigation", { name: "Main" });
  const link = nav.getByRole("link", { name: label, exact: true });
  const operations = nav.getByText("Operations", { exact: true }); // the operators' menu
  await link.or(operations).first().waitFor(); // the links follow my roles, once they load
  if (!(await link.isVisible())) await operations.click();
  await link.click();
}

export async function signIn(page, { email, password }) {
  await page.goto("/login");
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => !url.pathname.startsWith("/login"));
}

