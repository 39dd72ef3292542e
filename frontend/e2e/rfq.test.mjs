/**
 * Request for quote in two real browsers against a real server: a verified, funded investor
 * (the demo "flow" trader) asks only the demo's manual dealer for a price; the dealer sees the
 * request appear on the blotter and quotes; the investor sees the quote arrive with its
 * countdown and takes it; both see it done. Then the last-look path: the dealer quotes with a
 * last look, the investor takes it, waits for the dealer's look, and the dealer fills. All
 * without reloading either page. Screenshots land in frontend/test-results/screenshots/.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { navigate, newPage, shootOnFailure, shot, signIn, useBrowser } from "./browser.mjs";

const BOND = "7.38% GS 2027";
const PASSWORD = "demo-password-123";
// Verified and funded by the demo seed: cash, and units of every demo bond.
const REQUESTER = { email: "flow@demo.liquibond.dev", password: PASSWORD };
// A dealer nothing answers for automatically: only this test quotes as it.
const DEALER = { email: "dealer@demo.liquibond.dev", password: PASSWORD };
const DEALER_NAME = "Demo Dealer (voice desk)";

useBrowser("server-rfq.log");

const escape = (text) => text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/** Ask only the demo dealer to quote `quantity` units of BOND on `side`, and land on the RFQ's page. */
async function askDealer(page, side, quantity) {
  await navigate(page, "RFQs");
  await page.getByRole("heading", { name: "Ask dealers for a price" }).waitFor();
  const bond = page.getByLabel("Bond");
  const value = await bond.locator("option", { hasText: BOND }).getAttribute("value");
  await bond.selectOption(value);
  await page.getByRole("radio", { name: side === "buy" ? "Buy" : "Sell", exact: true }).check();
  await page.getByLabel("Quantity (units)").fill(String(quantity));
  await page.getByRole("radio", { name: "Only the dealers I choose" }).check();
  await page.getByRole("checkbox", { name: DEALER_NAME }).check();
  await page.getByRole("button", { name: "Ask for quotes" }).click();
  await page.getByRole("heading", { name: `RFQ: ${BOND}` }).waitFor();
  await page.getByText("Waiting for quotes").waitFor();
}

/** The blotter's card of the request for `quantity` units on the client's `side`. */
function cardOf(page, side, quantity) {
  return page.getByRole("region", { name: new RegExp(`^Client ${side === "buy" ? "buys" : "sells"} ${quantity} · ${escape(BOND)}$`) });
}

test("an investor takes a dealer's quote; the dealer fills a last look, live", () =>
  shootOnFailure("rfq", async () => {
    const investor = await newPage();
    const dealer = await newPage();
    const { page } = investor;
    await Promise.all([signIn(page, REQUESTER), signIn(dealer.page, DEALER)]);
    for (const { page: each } of [investor, dealer]) {
      // From here on, a reload would lose this marker.
      await each.evaluate(() => {
        window.__liquibondNoReload = true;
      });
    }

    // The dealer watches the blotter (an investor has no blotter in the navigation).
    await navigate(dealer.page, "Dealer blotter");
    await dealer.page.getByText("No requests are waiting for you.").waitFor();
    assert.equal(await page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Dealer blotter" }).count(), 0);

    // The investor asks only the dealer to offer 500 units; the dealers' statistics are shown.
    await navigate(page, "RFQs");
    await page.getByRole("table", { name: "Dealers" }).getByRole("row").filter({ hasText: DEALER_NAME }).waitFor();
    await shot(page, "rfq-request");
    await askDealer(page, "buy", 500);
    await shot(page, "rfq-waiting");

    // The request appears on the blotter without a reload: the client buys, anonymously.
    const card = cardOf(dealer.page, "buy", 500);
    await card.waitFor();
    await card.getByText("You sell (offer)").waitFor();
    await card.getByText("Anonymous").waitFor();
    await card.getByLabel("Price (per 100)").fill("101.25");
    await card.getByRole("button", { name: "Send quote" }).click();
    await card.getByText("Your quote").waitFor();
    await card.getByRole("button", { name: "Replace quote" }).waitFor();
    await shot(dealer.page, "rfq-blotter-quoted");

    // The investor sees the firm quote arrive, the best, with its countdown, and lifts it.
    const quote = page.getByRole("table", { name: "Quotes" }).getByRole("row").filter({ hasText: DEALER_NAME });
    await quote.getByText("Best").waitFor();
    await quote.getByText(/^00:[0-3]\d$/).waitFor();
    await shot(page, "rfq-quoted");
    await quote.getByRole("button", { name: `Buy at 101.2500 from ${DEALER_NAME}` }).click();
    await page.getByText("Done at 101.2500").waitFor();
    await page.getByText(`You bought 500 units from ${DEALER_NAME}.`).waitFor();
    await page.getByRole("table", { name: "Dealers asked" }).getByRole("row").filter({ hasText: DEALER_NAME }).getByText("Done").waitFor();
    await shot(page, "rfq-done");

    // The dealer sees it done: on the card, and among the recent requests.
    await card.getByText("Traded at").waitFor();
    const recent = dealer.page.getByRole("table", { name: "Recent requests" });
    await recent.getByRole("row").filter({ hasText: "Buys" }).getByText("Done").waitFor();
    await shot(dealer.page, "rfq-blotter-done");

    // Last look: the investor asks for a bid on 300 units; the dealer bids with a last look.
    await askDealer(page, "sell", 300);
    const held = cardOf(dealer.page, "sell", 300);
    await held.getByText("You buy (bid)").waitFor();
    await held.getByLabel("Price (per 100)").fill("100.75");
    await held.getByLabel("Last look (ms)").fill("5000");
    await held.getByRole("button", { name: "Send quote" }).click();
    await held.getByText("last look 5.0 s").waitFor();

    const bid = page.getByRole("table", { name: "Quotes" }).getByRole("row").filter({ hasText: DEALER_NAME });
    await bid.getByText("up to 5.0 s").waitFor();
    await bid.getByRole("button", { name: /^Sell at 100\.7500/ }).click();

    // Both see the hold with its countdown (the dealer has 5 s to decide), and the dealer fills.
    const look = held.getByRole("group", { name: "Last look" });
    await Promise.all([
      page.getByText(`Waiting for ${DEALER_NAME}'s last look`).waitFor(),
      look.getByText(/\d\.\d s/).waitFor(),
    ]);
    await Promise.all([shot(page, "rfq-last-look"), shot(dealer.page, "rfq-blotter-last-look")]);
    await look.getByRole("button", { name: "Fill" }).click();
    await page.getByText("Done at 100.7500").waitFor();
    await recent.getByRole("row").filter({ hasText: "Sells" }).getByText("Done").waitFor();

    // The trade is in the investor's history, marked as an RFQ trade.
    await page.getByRole("link", { name: "See the trade in Orders & trades" }).click();
    await page.getByRole("tab", { name: "Trades", selected: true }).waitFor();
    await page.getByRole("table", { name: "Trades" }).getByRole("link", { name: "RFQ" }).first().waitFor();
    await shot(page, "rfq-history");

    for (const [who, browser] of [
      ["investor", investor],
      ["dealer", dealer],
    ]) {
      assert.equal(await browser.page.evaluate(() => window.__liquibondNoReload), true, `the ${who}'s page was reloaded`);
      assert.deepEqual(browser.problems, [], `the ${who}'s browser logged errors`);
    }

    // At phone width the RFQ list and the blotter do not scroll sideways.
    for (const [browser, label, name] of [
      [investor, "RFQs", "rfq-phone"],
      [dealer, "Dealer blotter", "rfq-blotter-phone"],
    ]) {
      await browser.page.setViewportSize({ width: 390, height: 844 });
      await navigate(browser.page, label);
      await browser.page.getByRole("heading", { level: 1 }).waitFor();
      await shot(browser.page, name);
      const overflow = await browser.page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
      assert.ok(overflow <= 1, `${label} scrolls sideways by ${overflow}px at phone width`);
    }
    await investor.context.close();
    await dealer.context.close();
  }));
