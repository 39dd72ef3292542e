import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { api, unwrap } from "../../api/client";
import { Table } from "../../components/DataTable";
import { Field } from "../../components/Field";
import { FilterBar, FilterSelect } from "../../components/FilterBar";
import { Page } from "../../components/Page";
import { PagedList } from "../../components/Pager";
import { ErrorState } from "../../components/States";
import { formatDateTime, humanize } from "../../lib/format";
import { useMe, type Me, type Role } from "../../lib/me";
import { usePagedQuery } from "../../lib/paging";
import { useDebounced } from "../../lib/useDebounced";
import styles from "./admin.module.css";

const ROLES: readonly Role[] = ["investor", "issuer", "dealer", "compliance", "admin"];
const HEADINGS = [{ header: "User" }, { header: "Status" }, { header: "Joined" }, { header: "Roles" }];

/** Users by role or e-mail prefix, with each user's roles edited in place (admins). */
export function UsersScreen() {
  const [role, setRole] = useState<Role | "">("");
  const [email, setEmail] = useState("");
  const prefix = useDebounced(email.trim().toLowerCase());
  const me = useMe();
  const { query: users, paging } = usePagedQuery({
    queryKey: ["admin", "users", "list"],
    filters: { role, prefix },
    fetchPage: (cursor) =>
      unwrap(
        api.GET("/api/v1/admin/users", {
          params: { query: { limit: 50, cursor, role: role || null, email_prefix: prefix || null } },
        }),
      ),
  });

  return (
    <Page title="Users and roles">
      <FilterBar>
        <Field label="E-mail starts with">
          <input type="search" value={email} maxLength={254} onChange={(event) => setEmail(event.target.value)} />
        </Field>
        <FilterSelect label="Role" value={role} onChange={setRole} options={ROLES} any="Any role" />
      </FilterBar>
      <PagedList query={users} paging={paging} label="Users" empty="No users match these filters.">
        {(items) => (
          <Table headings={HEADINGS} caption="Users in order of sign-up">
            <tbody>
              {items.map((user) => (
                <UserRow key={user.id} user={user} isMe={user.id === me.data?.id} />
              ))}
            </tbody>
          </Table>
        )}
      </PagedList>
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
            <legend className="sr-only">Roles of {user.email}</legend>
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
