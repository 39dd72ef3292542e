import { useQuery } from "@tanstack/react-query";
import { useSyncExternalStore } from "react";
import { api, unwrap, type components } from "../api/client";
import { getSession, onSessionChange } from "./session";

export type Me = components["schemas"]["UserOut"];
export type Role = components["schemas"]["Role"];

/** Whether someone is signed in, re-rendering when that changes. */
export function useSignedIn(): boolean {
  return useSyncExternalStore(onSessionChange, () => getSession() !== null);
}

/** The signed-in user (disabled while signed out). */
export function useMe() {
  const signedIn = useSignedIn();
  return useQuery({
    queryKey: ["me"],
    queryFn: () => unwrap(api.GET("/api/v1/me")),
    enabled: signedIn,
    staleTime: 60_000,
  });
}

/** Does the user hold any of these roles? */
export function hasRole(me: Me | undefined, ...roles: Role[]): boolean {
  return Boolean(me && me.roles.some((role) => roles.includes(role)));
}
