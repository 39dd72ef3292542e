/** Who is behind a user id, for the staff screens. */
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../api/client";
import { hasRole, useMe, type Me } from "./me";

/** Users by id. */
export type UserDirectory = Record<string, Me>;

/** Most ids the users endpoint resolves in one call. */
const IDS_PER_CALL = 200;

/** Resolve user ids to users (admins and compliance): GET /admin/users?id=… in chunks. */
export function useUserDirectory(ids: readonly (string | null | undefined)[]) {
  const me = useMe();
  const wanted = [...new Set(ids.filter((id): id is string => Boolean(id)))].sort();
  return useQuery({
    queryKey: ["admin", "users", "directory", wanted],
    enabled: hasRole(me.data, "admin", "compliance") && wanted.length > 0,
    staleTime: 60_000,
    queryFn: async () => {
      const found: UserDirectory = {};
      for (let start = 0; start < wanted.length; start += IDS_PER_CALL) {
        const id = wanted.slice(start, start + IDS_PER_CALL);
        const users = await unwrap(api.GET("/api/v1/admin/users", { params: { query: { id, limit: IDS_PER_CALL } } }));
        for (const user of users.items) found[user.id] = user;
      }
      return found;
    },
  });
}
