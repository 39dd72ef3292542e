import { zodResolver } from "@hookform/resolvers/zod";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { api, unwrap, type components } from "../../api/client";
import { DataTable, type Column } from "../../components/DataTable";
import { Field } from "../../components/Field";
import { FilterBar } from "../../components/FilterBar";
import { Page } from "../../components/Page";
import { PagedList } from "../../components/Pager";
import { UserName } from "../../components/UserName";
import { formatDateTime, shortId } from "../../lib/format";
import { usePagedQuery } from "../../lib/paging";
import { useUserDirectory } from "../../lib/users";
import styles from "./admin.module.css";

type AuditEntry = components["schemas"]["AuditEntryOut"];

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const filterSchema = z.object({
  action: z.string().trim().max(100, "At most 100 characters."),
  actor_id: z
    .string()
    .trim()
    .refine((value) => value === "" || UUID.test(value), "A user id (UUID), or leave it empty."),
  target: z.string().trim().max(200, "At most 200 characters."),
});
type Filters = z.infer<typeof filterSchema>;

const NO_FILTERS: Filters = { action: "", actor_id: "", target: "" };

/** The tamper-evident audit log, newest first, filtered by exact action, actor or target. */
export function AuditScreen() {
  const [filters, setFilters] = useState<Filters>(NO_FILTERS);
  const form = useForm<Filters>({ resolver: zodResolver(filterSchema), defaultValues: NO_FILTERS });
  const { query: log, paging } = usePagedQuery({
    queryKey: ["admin", "audit"],
    filters,
    fetchPage: (cursor) =>
      unwrap(
        api.GET("/api/v1/admin/audit", {
          params: {
            query: {
              limit: 50,
              cursor,
              action: filters.action || null,
              actor_id: filters.actor_id || null,
              target: filters.target || null,
            },
          },
        }),
      ),
  });
  const directory = useUserDirectory(log.data?.items.map((entry) => entry.actor_id) ?? []);

  /** Filter by one cell's value (keeping the other filters). */
  function narrow(change: Partial<Filters>) {
    const next = { ...filters, ...change };
    form.reset(next);
    setFilters(next);
  }

  const columns: Column<AuditEntry>[] = [
    { header: "#", num: true, cell: (entry) => entry.seq },
    { header: "Time", cell: (entry) => formatDateTime(entry.occurred_at) },
    {
      header: "Actor",
      cell: (entry) =>
        entry.actor_id ? (
          <button type="button" className={styles.link} title="Show only this actor" onClick={() => narrow({ actor_id: entry.actor_id ?? "" })}>
            <UserName id={entry.actor_id} directory={directory.data} />
          </button>
        ) : (
          <span className="muted">System</span>
        ),
    },
    {
      header: "Action",
      className: styles.mono,
      cell: (entry) => (
        <button type="button" className={styles.link} title="Show only this action" onClick={() => narrow({ action: entry.action })}>
          {entry.action}
        </button>
      ),
    },
    {
      header: "Target",
      className: styles.mono,
      cell: (entry) =>
        entry.target ? (
          <button type="button" className={styles.link} title={`Show only ${entry.target}`} onClick={() => narrow({ target: entry.target ?? "" })}>
            {shortTarget(entry.target)}
          </button>
        ) : (
          "—"
        ),
    },
    {
      header: "Payload",
      className: "wrap",
      cell: (entry) => (
        <details className={styles.payload}>
          <summary>{summarize(entry.payload)}</summary>
          <pre>{JSON.stringify(entry.payload, null, 2)}</pre>
          {entry.request_id && <div className="muted">Request {entry.request_id}</div>}
          <div className={`muted ${styles.mono}`}>Hash {entry.hash}</div>
        </details>
      ),
    },
  ];

  return (
    <Page title="Audit log">
      <FilterBar onSubmit={(event) => void form.handleSubmit(setFilters)(event)}>
        <Field label="Action" hint="Exact, e.g. instrument.approve" error={form.formState.errors.action?.message}>
          <input {...form.register("action")} />
        </Field>
        <Field label="Actor id" hint="The user's id" error={form.formState.errors.actor_id?.message}>
          <input {...form.register("actor_id")} />
        </Field>
        <Field label="Target" hint="Exact, e.g. user:<id>" error={form.formState.errors.target?.message}>
          <input {...form.register("target")} />
        </Field>
        <button type="submit" className="primary">
          Apply filters
        </button>
        <button type="button" onClick={() => narrow(NO_FILTERS)}>
          Clear filters
        </button>
      </FilterBar>
      <PagedList query={log} paging={paging} label="Audit entries" empty="No audit entries match these filters.">
        {(entries) => (
          <DataTable
            columns={columns}
            rows={entries}
            rowKey={(entry) => entry.seq}
            className={styles.topAligned}
            caption="Audit entries, newest first"
          />
        )}
      </PagedList>
    </Page>
  );
}

/** "instrument:01a20028-f340-…" → "instrument:01a20028" (the full target is the button's filter). */
function shortTarget(target: string): string {
  const [kind, id] = target.split(/:(.*)/s);
  return id && /^[0-9a-f]{8}-/i.test(id) ? `${kind}:${shortId(id)}` : target;
}

/** The payload's keys, as a one-line summary to expand. */
function summarize(payload: Record<string, unknown>): string {
  const keys = Object.keys(payload);
  return keys.length ? keys.join(", ") : "(empty)";
}
