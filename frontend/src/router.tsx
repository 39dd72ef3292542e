/** Every route of the app (code-based, so each screen module owns only its component). */
import { createRootRoute, createRoute, createRouter, redirect } from "@tanstack/react-router";
import { Layout } from "./app/Layout";
import { NotFound } from "./app/NotFound";
import { AuditScreen } from "./screens/admin/AuditScreen";
import { InstrumentsAdminScreen } from "./screens/admin/InstrumentsAdminScreen";
import { KycQueueScreen } from "./screens/admin/KycQueueScreen";
import { UsersScreen } from "./screens/admin/UsersScreen";
import { LoginScreen } from "./screens/auth/LoginScreen";
import { RegisterScreen } from "./screens/auth/RegisterScreen";
import { SecurityScreen } from "./screens/auth/SecurityScreen";
import { HistoryScreen } from "./screens/history/HistoryScreen";
import { IssuerInstrumentScreen } from "./screens/issuer/IssuerInstrumentScreen";
import { IssuerScreen } from "./screens/issuer/IssuerScreen";
import { MarketsScreen } from "./screens/markets/MarketsScreen";
import { FundsScreen } from "./screens/onboarding/FundsScreen";
import { KycScreen } from "./screens/onboarding/KycScreen";
import { PortfolioScreen } from "./screens/portfolio/PortfolioScreen";
import { TradeScreen } from "./screens/trade/TradeScreen";

const root = createRootRoute({ component: Layout, notFoundComponent: NotFound });

function page<const TPath extends string>(path: TPath, component: () => React.ReactNode) {
  return createRoute({ getParentRoute: () => root, path, component });
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
  component: LoginScreen,
  validateSearch: (search: Record<string, unknown>): { redirect?: string } =>
    typeof search.redirect === "string" && search.redirect.startsWith("/") ? { redirect: search.redirect } : {},
});

const routeTree = root.addChildren([
  home,
  login,
  page("/register", RegisterScreen),
  page("/security", SecurityScreen),
  page("/onboarding", KycScreen),
  page("/funds", FundsScreen),
  page("/markets", MarketsScreen),
  page("/markets/$instrumentId", TradeScreen),
  page("/history", HistoryScreen),
  page("/portfolio", PortfolioScreen),
  page("/issuer", IssuerScreen),
  page("/issuer/$instrumentId", IssuerInstrumentScreen),
  page("/compliance/kyc", KycQueueScreen),
  page("/admin/instruments", InstrumentsAdminScreen),
  page("/admin/users", UsersScreen),
  page("/admin/audit", AuditScreen),
]);

export const router = createRouter({ routeTree, defaultPreload: "intent", scrollRestoration: true });

declare module "@tanstack/react-router" {
  interface Register {
    router: typeof router;
  }
}
