import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { Page } from "../../components/Page";
import { ErrorState, QueryState } from "../../components/States";
import { useMe, type Me, type Role } from "../../lib/me";
import styles from "./admin.module.css";
import { formatDateTime, humanize } from "./format";
import { Pager, useCursorPaging } from "./paging";
import { useDebounced } from "./useDebounced";

const ROLES: readonly Role[] = ["investor", "issuer", "dealer", "compliance", "admin"];

/** Users by role or e-mail prefix, with each user's roles edited in place (admins). */
export function UsersScreen() {
  const [role, setRole] = useState<Role | "">("");
  const [email, setEmail] = useState("");
  const prefix = useDebounced(email.trim().toLowerCase());
  const paging = useCursorPaging(`${role}|${prefix}`);
  const me = useMe();
  const users = useQuery({
    queryKey: ["admin", "users", "list", { role, prefix, cursor: paging.cursor }],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/admin/users", {
          params: { query: { limit: 50, cursor: paging.cursor, role: role || null, email_prefix: prefix || null } },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <Page title="Users and roles">
      <form className={styles.filters} role="search" onSubmit={(event) => event.preventDefault()}>
        <Field label="E-mail starts with">
          <input type="search" value={email} maxLength={254} onChange={(event) => setEmail(event.target.value)} />
        </Field>
        <Field label="Role">
          <select value={role} onChange={(event) => setRole(event.target.value as Role | "")}>
            <option value="">Any role</option>
            {ROLES.map((value) => (
              <option key={value} value={value}>
                {humanize(value)}
              </option>
            ))}
          </select>
        </Field>
      </form>
      <QueryState query={users} isEmpty={(page) => page.items.length === 0} empty="No users match these filters.">
        {(page) => (
          <>
            <div className="table-scroll">
              <table>
                <caption className={styles.caption}>Users in order of sign-up</caption>
                <thead>
                  <tr>
                    <th scope="col">User</th>
                    <th scope="col">Status</th>
                    <th scope="col">Joined</th>
                    <th scope="col">Roles</th>
                  </tr>
                </thead>
                <tbody>
                  {page.items.map((user) => (
                    <UserRow key={user.id} user={user} isMe={user.id === me.data?.id} />
                  ))}
                </tbody>
              </table>
            </div>
            <Pager paging={paging} nextCursor={page.next_cursor} label="Users" />
          </>
        )}
      </QueryState>
    </Page>
  );
}

/** Has the role set changed? (order does not matter) */
function sameRoles(a: readonly Role[], b: readonly Role[]): boolean {
  return a.length === b.length && a.every((role) => b.includes(role));
}

/** One user with a checkbox per role and "Save roles" (the API takes the complete set). */
function UserRow({ user, isMe }: { user: Me; isMe: boolean }) {
  const queryClient = useQueryClient();
  const [roles, setRoles] = useState<Role[]>(user.roles);
  const save = useMutation({
    mutationFn: (wanted: Role[]) =>
      unwrap(api.POST("/api/v1/admin/users/{user_id}/roles", { params: { path: { user_id: user.id } }, body: { roles: wanted } })),
    onSuccess: (updated) => {
      setRoles(updated.roles);
      void queryClient.invalidateQueries({ queryKey: ["admin", "users"] });
      void queryClient.invalidateQueries({ queryKey: ["admin", "audit"] });
      if (isMe) void queryClient.invalidateQueries({ queryKey: ["me"] });
    },
  });
  const changed = !sameRoles(roles, user.roles);

  function toggle(role: Role, on: boolean) {
    save.reset();
    setRoles((current) => (on ? [...current, role] : current.filter((r) => r !== role)));
  }

  return (
    <tr>
      <td>
        <div>{user.display_name}</div>
        <div className="muted">{user.email}</div>
      </td>
      <td>
        {user.is_active ? "Active" : "Deactivated"}
        {user.mfa_enabled && <div className="muted">MFA on</div>}
      </td>
      <td>{formatDateTime(user.created_at)}</td>
      <td>
        <form
          className={styles.actions}
          onSubmit={(event) => {
            event.preventDefault();
            save.mutate(roles);
          }}
        >
          <fieldset className={styles.roles}>
            <legend className={styles.visuallyHidden}>Roles of {user.email}</legend>
            {ROLES.map((role) => (
              <label key={role}>
                <input
                  type="checkbox"
                  checked={roles.includes(role)}
                  disabled={save.isPending || (isMe && role === "admin")}
                  onChange={(event) => toggle(role, event.target.checked)}
                />
                {humanize(role)}
              </label>
            ))}
          </fieldset>
          <button type="submit" className="primary" disabled={!changed || save.isPending}>
            Save roles
          </button>
          {changed && (
            <button type="button" onClick={() => setRoles(user.roles)} disabled={save.isPending}>
              Undo
            </button>
          )}
          {save.isSuccess && !changed && (
            <span className="notice-success" role="status">
              Saved
            </span>
          )}
          {save.isError && <ErrorState error={save.error} />}
        </form>
      </td>
    </tr>
  );
}
