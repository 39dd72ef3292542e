/**
 * The investor's journey in a real browser against a real server: register, submit KYC, a
 * compliance officer approves it in a second browser, deposit, buy across a resting sell, and
 * see the fill in the tape, in my fills and in the portfolio — all without reloading the page.
 * Screenshots of each main screen land in frontend/test-results/screenshots/.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN, navigate, newPage, shootOnFailure, shot, signIn, useBrowser } from "./browser.mjs";

const BOND = "7.26% GS 2032";
const TOKENIZED = "Power Finance Corporation 7.08% Bonds 2035";

useBrowser("server.log");

test("a new investor onboards, is approved, funds the account and trades, live", () =>
  shootOnFailure("journey", async () => {
  const email = `e2e-${Date.now()}@example.com`;
  const name = "Asha E2E";
  const investor = await newPage();
  const { page } = investor;

  // Register; the app signs in and goes to KYC.
  await page.goto("/register");
  await shot(page, "register");
  await page.getByLabel("Display name").fill(name);
  await page.getByLabel("Email").fill(email);
  await page.getByLabel("Password", { exact: true }).fill("a-long-e2e-password-1");
  await page.getByLabel("Confirm password").fill("a-long-e2e-password-1");
  await page.getByRole("button", { name: "Create account" }).click();
  await page.waitForURL("**/onboarding");
  // From here on, a reload would lose this marker.
  await page.evaluate(() => {
    window.__liquibondNoReload = true;
  });

  // KYC: PAN digits 9993 make the sandbox provider refer the application to compliance.
  await page.getByLabel("PAN").fill("ABCPE9993F");
  await page.getByLabel("Date of birth").fill("1990-05-17");
  await page.getByLabel("Address").fill("12 Marine Drive, Churchgate");
  await page.getByLabel("City").fill("Mumbai");
  await page.getByLabel("State").fill("Maharashtra");
  await page.getByLabel("PIN code").fill("400020");
  await page.getByLabel("Identity document", { exact: true }).setInputFiles({
    name: "pan.pdf",
    mimeType: "application/pdf",
    buffer: Buffer.from("%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"),
  });
  await page.getByRole("checkbox", { name: /I consent/ }).check();
  await shot(page, "kyc-form");
  await page.getByRole("button", { name: "Submit for verification" }).click();
  await page.getByText("Under review").first().waitFor();
  await shot(page, "kyc-under-review");

  // A compliance officer approves it in another browser.
  const officer = await newPage();
  await signIn(officer.page, ADMIN);
  await officer.page.goto("/compliance/kyc");
  const application = officer.page.getByRole("row").filter({ hasText: email });
  await application.getByRole("button", { name: "Review" }).click();
  await officer.page.getByRole("button", { name: "Assign to me" }).click();
  await officer.page.getByRole("button", { name: "Approve" }).click();
  await officer.page.getByRole("status").filter({ hasText: /verified/i }).first().waitFor();
  await shot(officer.page, "compliance-kyc-queue");

  // The investor sees it without reloading.
  await page.getByText("Verified", { exact: false }).first().waitFor({ timeout: 30_000 });
  await shot(page, "kyc-verified");

  // Deposit by UPI; the sandbox rail confirms within a second.
  await navigate(page, "Funds");
  await page.getByLabel("Amount (₹)").first().fill("50000");
  await page.getByLabel("UPI ID").fill("asha@okhdfc");
  await page.getByRole("button", { name: "Deposit" }).click();
  await page.getByText("Credited").first().waitFor({ timeout: 30_000 });
  await shot(page, "funds");

  // Markets, then the bond's trade screen.
  await navigate(page, "Markets");
  await page.getByRole("link", { name: BOND }).first().click();
  await page.getByRole("heading", { name: "Order book" }).waitFor();
  const book = page.getByRole("region", { name: "Order book" });
  const bestAsk = book.getByRole("button", { name: /^Sell|ask/i }).first();
  await bestAsk.waitFor({ timeout: 30_000 });
  await shot(page, "trade");

  // Buy one lot at the best ask: click the level to fill the ticket's price.
  const tape = page.getByRole("region", { name: "Trades" });
  const fills = page.getByRole("region", { name: "My fills" });
  await bestAsk.click();
  await page.getByRole("radio", { name: "Buy" }).check();
  await page.getByLabel("Quantity (units)").fill("100");
  await page.getByRole("button", { name: "Place buy order" }).click();
  await fills.getByRole("row").nth(1).waitFor({ timeout: 30_000 });
  await tape.getByRole("row").nth(1).waitFor();
  await shot(page, "trade-filled");

  await navigate(page, "Portfolio");
  const holdings = page.getByRole("table", { name: "Holdings" });
  await holdings.getByRole("row").filter({ hasText: BOND }).waitFor({ timeout: 30_000 });
  await shot(page, "portfolio");

  await navigate(page, "Orders & trades");
  await page.getByRole("tab", { name: "Trades" }).click();
  await page.getByRole("row").filter({ hasText: BOND }).first().waitFor();
  await shot(page, "history");

  assert.equal(await page.evaluate(() => window.__liquibondNoReload), true, "the page was reloaded");
  assert.deepEqual(investor.problems, [], "the investor's browser logged errors");

  // The staff screens render with data.
  for (const [where, name] of [
    ["/admin/instruments", "admin-instruments"],
    ["/admin/users", "admin-users"],
    ["/admin/audit", "admin-audit"],
    ["/issuer", "issuer"],
  ]) {
    await officer.page.goto(where);
    await officer.page.getByRole("heading", { level: 1 }).waitFor();
    await officer.page.getByRole("table").first().waitFor();
    await shot(officer.page, name);
  }
  await officer.context.close();
  await investor.context.close();
}));

test("the markets and trade screens work at phone width", () =>
  shootOnFailure("phone", async () => {
  const { context, page, problems } = await newPage({ width: 390, height: 844 });
  await signIn(page, ADMIN);
  await page.goto("/markets");
  await page.getByRole("link", { name: BOND }).first().waitFor();
  await shot(page, "markets-phone");
  await page.getByRole("link", { name: BOND }).first().click();
  await page.getByRole("heading", { name: "Order book" }).waitFor();
  await shot(page, "trade-phone");
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the page scrolls sideways by ${overflow}px at phone width`);
  assert.deepEqual(problems, []);
  await context.close();
}));

test("an admin sees a tokenized bond's token and the chain's breaks queue", () =>
  shootOnFailure("chain", async () => {
  const { context, page, problems } = await newPage();
  await signIn(page, ADMIN);
  await page.goto("/markets");
  await page.getByRole("link", { name: TOKENIZED }).first().click();
  await page.getByText(/Tokenized on embedded chain/).waitFor();
  await page.getByText("Offer document").waitFor();
  await shot(page, "trade-tokenized");

  await navigate(page, "Chain");
  await page.getByRole("heading", { name: "Failed settlements" }).waitFor();
  await page.getByRole("button", { name: "Reconcile now" }).click();
  await page.getByText(/Reconciled: chain and ledger agree/).waitFor();
  await shot(page, "chain-admin");
  assert.deepEqual(problems, []);
  await context.close();
}));
