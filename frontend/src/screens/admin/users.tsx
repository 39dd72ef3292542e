import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "../../api/client";
import { hasRole, useMe, type Me } from "../../lib/me";
import { shortId } from "./format";

/** Users by id, for showing who is behind an id. */
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

/** A user's e-mail (and name) when the directory knows them, else the start of the id. */
export function UserName({ id, directory }: { id: string | null; directory: UserDirectory | undefined }) {
  if (!id) return <span className="muted">System</span>;
  const user = directory?.[id];
  if (!user) return <span title={id}>User {shortId(id)}</span>;
  return (
    <span title={id}>
      {user.display_name} <span className="muted">({user.email})</span>
    </span>
  );
}

/** The applicant of a KYC application, as the queue item names them. */
export function Applicant({ item }: { item: { user_id: string; applicant_email: string; applicant_name: string } }) {
  return (
    <span title={item.user_id}>
      {item.applicant_name} <span className="muted">({item.applicant_email})</span>
    </span>
  );
}
