import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { api, unwrap, type components } from "../../api/client";
import { CopyButton } from "../../components/CopyButton";
import { DataTable, type Column } from "../../components/DataTable";
import { Field } from "../../components/Field";
import { FormFooter } from "../../components/FormFooter";
import { Panel } from "../../components/Panel";
import { ErrorState, QueryState } from "../../components/States";
import { today } from "../../lib/dates";
import { formatDateTime, formatLocalDate } from "../../lib/format";
import { useFormProblem } from "../../lib/formProblem";
import styles from "./Auth.module.css";

type ApiKey = components["schemas"]["ApiKeyOut"];
type CreatedKey = components["schemas"]["ApiKeyCreated"];

const API_KEYS = ["api-keys"] as const;

/** Programs' API keys: the list, a new key (its secret shown once), revocation. */
export function ApiKeysSection() {
  const keys = useQuery({ queryKey: API_KEYS, queryFn: () => unwrap(api.GET("/api/v1/me/api-keys")) });
  const [created, setCreated] = useState<CreatedKey | null>(null);

  return (
    <Panel title="API keys">
      <p className="muted">
        Keys let your own programs use the Liquibond API as you. Send one in the <code>Authorization: Bearer</code>{" "}
        header. Anyone holding a key can act with its permissions, so revoke keys you no longer use.
      </p>
      {created && <NewKey apiKey={created} onDone={() => setCreated(null)} />}
      <QueryState query={keys} isEmpty={(list) => list.length === 0} empty="You have no API keys.">
        {(list) => <KeyTable keys={list} />}
      </QueryState>
      <h3>Create an API key</h3>
      <CreateKeyForm onCreated={setCreated} />
    </Panel>
  );
}

function keyStatus(key: ApiKey, now: number): "Revoked" | "Expired" | "Active" {
  if (key.revoked_at) return "Revoked";
  if (key.expires_at && Date.parse(key.expires_at) <= now) return "Expired";
  return "Active";
}

const KEY_COLUMNS: readonly Column<ApiKey>[] = [
  { header: "Name", cell: (key) => key.name },
  { header: "Key", cell: (key) => <code>{key.prefix}…</code> },
  { header: "Permissions", cell: (key) => key.scopes.join(", ") },
  { header: "Created", cell: (key) => formatDateTime(key.created_at) },
  { header: "Last used", cell: (key) => (key.last_used_at ? formatDateTime(key.last_used_at) : "Never") },
  { header: "Expires", cell: (key) => (key.expires_at ? formatLocalDate(key.expires_at) : "Never") },
];

function KeyTable({ keys }: { keys: ApiKey[] }) {
  const now = Date.now();
  const columns: Column<ApiKey>[] = [
    ...KEY_COLUMNS,
    { header: "Status", cell: (key) => <span className="badge">{keyStatus(key, now)}</span> },
    {
      header: <span className="muted">Actions</span>,
      cell: (key) => keyStatus(key, now) === "Active" && <RevokeKey apiKey={key} />,
    },
  ];
  return <DataTable columns={columns} rows={keys} rowKey={(key) => key.id} />;
}

function RevokeKey({ apiKey }: { apiKey: ApiKey }) {
  const queryClient = useQueryClient();
  const [confirming, setConfirming] = useState(false);
  const revoke = useMutation({
    mutationFn: () => unwrap(api.DELETE("/api/v1/me/api-keys/{key_id}", { params: { path: { key_id: apiKey.id } } })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: API_KEYS }),
  });

  if (!confirming) {
    return (
      <button type="button" onClick={() => setConfirming(true)} aria-label={`Revoke ${apiKey.name}`}>
        Revoke
      </button>
    );
  }
  return (
    <span className={styles.actions} role="group" aria-label={`Revoke ${apiKey.name}?`}>
      <span>Programs using it stop working.</span>
      <button type="button" className="sell" disabled={revoke.isPending} onClick={() => revoke.mutate()} autoFocus>
        Yes, revoke
      </button>
      <button type="button" onClick={() => setConfirming(false)}>
        Keep it
      </button>
      {revoke.isError && <ErrorState error={revoke.error} />}
    </span>
  );
}

function NewKey({ apiKey, onDone }: { apiKey: CreatedKey; onDone: () => void }) {
  return (
    <div className="notice notice-success" role="status">
      <p>
        API key “{apiKey.name}” created. Copy it now: <strong>it is shown only this once.</strong>
      </p>
      <p>
        <code className={styles.uri}>{apiKey.key}</code>
      </p>
      <div className={styles.actions}>
        <CopyButton text={apiKey.key} label="Copy API key" />
        <button type="button" onClick={onDone}>
          Done
        </button>
      </div>
    </div>
  );
}

const createSchema = z.object({
  name: z.string().trim().min(1, "Name the key, e.g. after the program using it.").max(100, "Use at most 100 characters."),
  scopes: z.array(z.enum(["read", "write"])).min(1, "Choose at least one permission."),
  expires_on: z.string().refine((value) => value === "" || value > today(), "Choose a date after today."),
});
type CreateValues = z.infer<typeof createSchema>;

function CreateKeyForm({ onCreated }: { onCreated: (key: CreatedKey) => void }) {
  const queryClient = useQueryClient();
  const form = useForm<CreateValues>({
    resolver: zodResolver(createSchema),
    defaultValues: { name: "", scopes: ["read"], expires_on: "" },
  });
  const { register, handleSubmit, formState } = form;
  const problem = useFormProblem(form.setError, ["name", "scopes"], { "api_key.expiry_in_past": "expires_on" });
  const create = useMutation({
    mutationFn: (values: CreateValues) =>
      unwrap(
        api.POST("/api/v1/me/api-keys", {
          body: {
            name: values.name.trim(),
            scopes: values.scopes,
            // The key works through the whole of its last day, in the viewer's time zone.
            expires_at: values.expires_on ? new Date(`${values.expires_on}T23:59:59`).toISOString() : null,
          },
        }),
      ),
    onSuccess: (key) => {
      form.reset();
      onCreated(key);
      return queryClient.invalidateQueries({ queryKey: API_KEYS });
    },
    onError: problem.show,
  });

  return (
    <form
      noValidate
      onSubmit={handleSubmit((values) => {
        problem.clear();
        create.mutate(values);
      })}
    >
      <Field label="Key name" error={formState.errors.name?.message}>
        <input {...register("name")} maxLength={100} autoComplete="off" />
      </Field>
      <fieldset className={styles.checks} aria-describedby={formState.errors.scopes ? "scopes-error" : undefined}>
        <legend>Permissions</legend>
        <label className={styles.check}>
          <input type="checkbox" value="read" {...register("scopes")} />
          <span>Read: see market data and everything in your account</span>
        </label>
        <label className={styles.check}>
          <input type="checkbox" value="write" {...register("scopes")} />
          <span>Write: act for you, e.g. place and cancel orders or move funds (never your login or keys)</span>
        </label>
        {formState.errors.scopes && (
          <small id="scopes-error" className="field-error" role="alert">
            {formState.errors.scopes.message}
          </small>
        )}
      </fieldset>
      <Field label="Expires on" error={formState.errors.expires_on?.message} hint="Optional; leave empty for a key that does not expire.">
        <input {...register("expires_on")} type="date" min={today()} />
      </Field>
      <FormFooter message={problem.message} pending={create.isPending}>
        Create API key
      </FormFooter>
    </form>
  );
}
