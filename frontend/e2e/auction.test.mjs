/**
 * A primary auction in a real browser against a real server: an admin drafts, announces and
 * opens an auction over the HTTP API; a verified, funded investor (the demo "flow" trader; the
 * demo investor has no KYC or cash) finds it in the calendar, bids and sees the bid under my
 * bids; the admin closes and clears it over the API, and the results and my allocation appear
 * on the open page without a reload. Screenshots land in frontend/test-results/screenshots/.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { ADMIN, navigate, newPage, serverBase, shootOnFailure, shot, signIn, useBrowser } from "./browser.mjs";

const BOND = "7.38% GS 2027";
// Verified and funded by the demo seed (see liquibond.demo / liquibond.trading.liquidity).
const BIDDER = { email: "flow@demo.liquibond.dev", password: "demo-password-123" };

useBrowser("server-auction.log");

/** A small JSON client for the API, signed in as `who`. */
async function apiAs(who) {
  const login = await fetch(`${serverBase()}/api/v1/auth/login`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify(who),
  });
  assert.equal(login.status, 200, await login.clone().text());
  const { access_token: token } = await login.json();
  return async (method, url, body) => {
    const response = await fetch(`${serverBase()}${url}`, {
      method,
      headers: { authorization: `Bearer ${token}`, ...(body ? { "content-type": "application/json" } : {}) },
      body: body ? JSON.stringify(body) : undefined,
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  };
}

const isoDate = (ms) => new Date(ms).toISOString().slice(0, 10);

test("an investor bids in an auction and sees the results and the allocation, live", () =>
  shootOnFailure("auction", async () => {
    const admin = await apiAs(ADMIN);
    const found = await admin("GET", `/api/v1/instruments?q=${encodeURIComponent("GS 2027")}&status=listed`);
    assert.equal(found.status, 200, JSON.stringify(found.body));
    const bond = found.body.items.find((item) => item.name === BOND);
    assert.ok(bond, `${BOND} is listed`);

    const now = Date.now();
    const created = await admin("POST", "/api/v1/auctions", {
      instrument_id: bond.id,
      format: "uniform",
      basis: "price",
      offering: 10_000,
      min_price: "90",
      max_price: "110",
      non_competitive_share: "0.1",
      announce_at: new Date(now + 3_600_000).toISOString(),
      opens_at: new Date(now + 3_600_000).toISOString(),
      closes_at: new Date(now + 7_200_000).toISOString(),
      settles_on: isoDate(now + 3 * 86_400_000),
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const auction = created.body;
    for (const step of ["announce", "open"]) {
      const moved = await admin("POST", `/api/v1/auctions/${auction.id}/${step}`);
      assert.equal(moved.status, 200, `${step}: ${JSON.stringify(moved.body)}`);
    }

    const investor = await newPage();
    const { page } = investor;
    await signIn(page, BIDDER);
    await page.evaluate(() => {
      window.__liquibondNoReload = true;
    });

    // The calendar lists it, bidding, with the countdown to its close.
    await navigate(page, "Auctions");
    const calendar = page.getByRole("table", { name: "Auction calendar" });
    const row = calendar.getByRole("row").filter({ hasText: BOND });
    await row.getByText("Bidding").waitFor();
    await row.getByText(/Closes in/).waitFor();
    await shot(page, "auctions-calendar");

    // The auction page: terms, then a competitive bid.
    await row.getByRole("link", { name: BOND }).click();
    await page.getByRole("heading", { name: `Auction: ${BOND}` }).waitFor();
    await page.getByRole("heading", { name: "Terms and schedule" }).waitFor();
    await page.getByLabel("Price (per 100)").fill("100.5");
    await page.getByLabel("Units").fill("200");
    await page.getByRole("button", { name: "Place bid" }).click();
    await page.getByText(/Bid #1 placed/).waitFor();
    const myBids = page.getByRole("table", { name: "My bids" });
    await myBids.getByRole("row").filter({ hasText: "#1" }).getByText("Active").waitFor();
    await shot(page, "auction-bidding");

    // The admin closes and clears it (the scheduler may clear a closed auction first).
    const closed = await admin("POST", `/api/v1/auctions/${auction.id}/close`);
    assert.equal(closed.status, 200, JSON.stringify(closed.body));
    const cleared = await admin("POST", `/api/v1/auctions/${auction.id}/clear`);
    if (cleared.status !== 200) {
      const now = await admin("GET", `/api/v1/auctions/${auction.id}`);
      assert.equal(now.body.status, "cleared", `clear: ${JSON.stringify(cleared.body)}`);
    }

    // Results and my allocation appear without a reload.
    const results = page.getByRole("region", { name: "Results" });
    await results.getByText("Cut-off").waitFor({ timeout: 30_000 });
    await results.getByText("100.5").first().waitFor();
    const allocation = page.getByRole("table", { name: "My allocation" });
    await allocation.getByRole("row").filter({ hasText: "#1" }).waitFor({ timeout: 30_000 });
    await myBids.getByRole("row").filter({ hasText: "#1" }).getByText("Allotted").waitFor({ timeout: 30_000 });
    await shot(page, "auction-cleared");

    assert.equal(await page.evaluate(() => window.__liquibondNoReload), true, "the page was reloaded");
    assert.deepEqual(investor.problems, [], "the investor's browser logged errors");

    // At phone width the page does not scroll sideways.
    await page.setViewportSize({ width: 390, height: 844 });
    await page.getByRole("heading", { name: `Auction: ${BOND}` }).waitFor();
    await shot(page, "auction-phone");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    assert.ok(overflow <= 1, `the auction page scrolls sideways by ${overflow}px at phone width`);
    await investor.context.close();
  }));
