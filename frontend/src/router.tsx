/**
 * Every route of the app (code-based, so each screen module owns only its component). Each
 * screen is its own chunk, loaded when its route is first visited (or hovered, to preload it),
 * so the first paint needs only the shell.
 */
import { createRootRoute, createRoute, createRouter, lazyRouteComponent, redirect } from "@tanstack/react-router";
import { Layout } from "./app/Layout";
import { NotFound } from "./app/NotFound";
import { Loading } from "./components/States";

const root = createRootRoute({ component: Layout, notFoundComponent: NotFound });

/** The names of a module's exports that are components taking no props (screens). */
type ScreenName<TModule> = { [K in keyof TModule]: TModule[K] extends () => React.ReactNode ? K : never }[keyof TModule];

/** A route whose screen is the export `name` of the module `load` imports, loaded on demand. */
function page<const TPath extends string, TModule extends Record<string, unknown>>(
  path: TPath,
  load: () => Promise<TModule>,
  name: ScreenName<TModule>,
) {
  return createRoute({ getParentRoute: () => root, path, component: lazyRouteComponent(load, name) });
}

const home = createRoute({
  getParentRoute: () => root,
  path: "/",
  beforeLoad: () => {
    throw redirect({ to: "/markets" });
  },
});

const login = createRoute({
  getParentRoute: () => root,
  path: "/login",
  component: lazyRouteComponent(() => import("./screens/auth/LoginScreen"), "LoginScreen"),
  validateSearch: (search: Record<string, unknown>): { redirect?: string } =>
    typeof search.redirect === "string" && search.redirect.startsWith("/") ? { redirect: search.redirect } : {},
});

/** The RFQ screen, optionally with a bond chosen (from a bond's trade screen). */
const rfqs = createRoute({
  getParentRoute: () => root,
  path: "/rfqs",
  component: lazyRouteComponent(() => import("./screens/rfq/RfqsScreen"), "RfqsScreen"),
  validateSearch: (search: Record<string, unknown>): { instrument?: string } =>
    typeof search.instrument === "string" ? { instrument: search.instrument } : {},
});

/** Orders and trades, on either tab (an RFQ links to its trade). */
const history = createRoute({
  getParentRoute: () => root,
  path: "/history",
  component: lazyRouteComponent(() => import("./screens/history/HistoryScreen"), "HistoryScreen"),
  validateSearch: (search: Record<string, unknown>): { tab?: "orders" | "trades" } =>
    search.tab === "orders" || search.tab === "trades" ? { tab: search.tab } : {},
});

const routeTree = root.addChildren([
  home,
  login,
  page("/register", () => import("./screens/auth/RegisterScreen"), "RegisterScreen"),
  page("/security", () => import("./screens/auth/SecurityScreen"), "SecurityScreen"),
  page("/onboarding", () => import("./screens/onboarding/KycScreen"), "KycScreen"),
  page("/funds", () => import("./screens/onboarding/FundsScreen"), "FundsScreen"),
  page("/markets", () => import("./screens/markets/MarketsScreen"), "MarketsScreen"),
  page("/markets/$instrumentId", () => import("./screens/trade/TradeScreen"), "TradeScreen"),
  page("/auctions", () => import("./screens/auctions/AuctionsScreen"), "AuctionsScreen"),
  page("/auctions/$auctionId", () => import("./screens/auctions/AuctionScreen"), "AuctionScreen"),
  rfqs,
  page("/rfqs/$rfqId", () => import("./screens/rfq/RfqScreen"), "RfqScreen"),
  page("/blotter", () => import("./screens/rfq/BlotterScreen"), "BlotterScreen"),
  history,
  page("/portfolio", () => import("./screens/portfolio/PortfolioScreen"), "PortfolioScreen"),
  page("/issuer", () => import("./screens/issuer/IssuerScreen"), "IssuerScreen"),
  page("/issuer/$instrumentId", () => import("./screens/issuer/IssuerInstrumentScreen"), "IssuerInstrumentScreen"),
  page("/compliance/kyc", () => import("./screens/admin/KycQueueScreen"), "KycQueueScreen"),
  page("/admin/instruments", () => import("./screens/admin/InstrumentsAdminScreen"), "InstrumentsAdminScreen"),
  page("/admin/users", () => import("./screens/admin/UsersScreen"), "UsersScreen"),
  page("/admin/audit", () => import("./screens/admin/AuditScreen"), "AuditScreen"),
  page("/admin/chain", () => import("./screens/chain/BreaksScreen"), "BreaksScreen"),
]);

export const router = createRouter({
  routeTree,
  defaultPreload: "intent",
  // Shown in the shell while a screen's chunk loads (after a moment, so a fast load does not flash).
  defaultPendingComponent: () => <Loading />,
  scrollRestoration: true,
});

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}
