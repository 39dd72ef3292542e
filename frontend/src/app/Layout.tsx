import { useQueryClient } from "@tanstack/react-query";
import { Link, Navigate, Outlet, useRouterState } from "@tanstack/react-router";
import { useState } from "react";
import { api } from "../api/client";
import { hasRole, useMe, useSignedIn, type Role } from "../lib/me";
import { getSession, setSession } from "../lib/session";

const PUBLIC_PATHS = new Set(["/login", "/register"]);

interface NavItem {
  to: string;
  label: string;
  roles?: Role[];
}

const NAV: NavItem[] = [
  { to: "/markets", label: "Markets" },
  { to: "/auctions", label: "Auctions" },
  { to: "/rfqs", label: "RFQs" },
  { to: "/blotter", label: "Dealer blotter", roles: ["dealer"] },
  { to: "/portfolio", label: "Portfolio" },
  { to: "/history", label: "Orders & trades" },
  { to: "/funds", label: "Funds" },
  { to: "/onboarding", label: "KYC" },
  { to: "/issuer", label: "Issuer", roles: ["issuer", "admin"] },
  { to: "/security", label: "Security" },
];

/** The venue's own screens, folded under one menu so the bar fits one line for operators. */
const OPERATIONS: NavItem[] = [
  { to: "/compliance/kyc", label: "KYC review", roles: ["compliance", "admin"] },
  { to: "/admin/instruments", label: "Instruments", roles: ["admin", "compliance"] },
  { to: "/admin/users", label: "Users", roles: ["admin"] },
  { to: "/admin/audit", label: "Audit", roles: ["admin", "compliance"] },
  { to: "/admin/chain", label: "Chain", roles: ["admin", "compliance"] },
];

/** The app's frame: navigation by role, sign-out, and the sign-in gate. */
export function Layout() {
  const signedIn = useSignedIn();
  const pathname = useRouterState({ select: (state) => state.location.pathname });
  const me = useMe();
  const queryClient = useQueryClient();
  const [menuOpen, setMenuOpen] = useState(false);
  const [operationsOpen, setOperationsOpen] = useState(false);
  const mine = (item: NavItem) => !item.roles || hasRole(me.data, ...item.roles);
  const operations = OPERATIONS.filter(mine);
  const onOperationsScreen = operations.some((item) => pathname.startsWith(item.to));

  if (!signedIn && !PUBLIC_PATHS.has(pathname)) {
    return <Navigate to="/login" search={{ redirect: pathname }} replace />;
  }

  async function signOut() {
    if (getSession()) await api.POST("/api/v1/auth/logout").catch(() => undefined);
    setSession(null);
    queryClient.clear();
  }

  return (
    <div className="app">
      <a className="skip-link" href="#main">
        Skip to content
      </a>
      <header className="topbar">
        <Link to="/markets" className="brand">
          Liquibond
        </Link>
        {signedIn && (
          <>
            <button
              type="button"
              className="menu-toggle"
              aria-expanded={menuOpen}
              aria-controls="main-nav"
              onClick={() => setMenuOpen((open) => !open)}
            >
              Menu
            </button>
            <nav id="main-nav" aria-label="Main" className={menuOpen ? "nav nav-open" : "nav"}>
              {NAV.filter(mine).map((item) => (
                <Link key={item.to} to={item.to} activeProps={{ "aria-current": "page" }} onClick={() => setMenuOpen(false)}>
                  {item.label}
                </Link>
              ))}
              {operations.length > 0 && (
                <details
                  className="nav-group"
                  open={operationsOpen}
                  onToggle={(event) => setOperationsOpen(event.currentTarget.open)}
                >
                  <summary className={onOperationsScreen ? "nav-group-current" : undefined}>Operations</summary>
                  <div className="nav-menu">
                    {operations.map((item) => (
                      <Link
                        key={item.to}
                        to={item.to}
                        activeProps={{ "aria-current": "page" }}
                        onClick={() => {
                          setOperationsOpen(false);
                          setMenuOpen(false);
                        }}
                      >
                        {item.label}
                      </Link>
                    ))}
                  </div>
                </details>
              )}
            </nav>
            <div className="whoami">
              <span title={me.data?.email}>{me.data?.display_name ?? ""}</span>
              <button type="button" onClick={() => void signOut()}>
                Sign out
              </button>
            </div>
          </>
        )}
      </header>
      <main id="main">
        <Outlet />
      </main>
    </div>
  );
}
