import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { api, unwrap, type components } from "../../api/client";
import { Field } from "../../components/Field";
import { ErrorState, QueryState } from "../../components/States";
import styles from "./Auth.module.css";
import { CopyButton } from "./shared/CopyButton";
import { FormAlert } from "./shared/FormAlert";
import { formatDate, formatDateTime } from "./shared/format";
import { useFormProblem } from "./shared/useFormProblem";

type ApiKey = components["schemas"]["ApiKeyOut"];
type CreatedKey = components["schemas"]["ApiKeyCreated"];

const API_KEYS = ["api-keys"] as const;

/** Programs' API keys: the list, a new key (its secret shown once), revocation. */
export function ApiKeysSection() {
  const keys = useQuery({ queryKey: API_KEYS, queryFn: () => unwrap(api.GET("/api/v1/me/api-keys")) });
  const [created, setCreated] = useState<CreatedKey | null>(null);

  return (
    <section className="panel" aria-labelledby="api-keys-heading">
      <h2 id="api-keys-heading">API keys</h2>
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
    </section>
  );
}

function keyStatus(key: ApiKey, now: number): "Revoked" | "Expired" | "Active" {
  if (key.revoked_at) return "Revoked";
  if (key.expires_at && Date.parse(key.expires_at) <= now) return "Expired";
  return "Active";
}

function KeyTable({ keys }: { keys: ApiKey[] }) {
  const now = Date.now();
  return (
    <div className="table-scroll">
      <table>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Key</th>
            <th scope="col">Permissions</th>
            <th scope="col">Created</th>
            <th scope="col">Last used</th>
            <th scope="col">Expires</th>
            <th scope="col">Status</th>
            <th scope="col">
              <span className="muted">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {keys.map((key) => {
            const status = keyStatus(key, now);
            return (
              <tr key={key.id}>
                <td>{key.name}</td>
                <td>
                  <code>{key.prefix}…</code>
                </td>
                <td>{key.scopes.join(", ")}</td>
                <td>{formatDateTime(key.created_at)}</td>
                <td>{key.last_used_at ? formatDateTime(key.last_used_at) : "Never"}</td>
                <td>{key.expires_at ? formatDate(key.expires_at) : "Never"}</td>
                <td>
                  <span className="badge">{status}</span>
                </td>
                <td>{status === "Active" && <RevokeKey apiKey={key} />}</td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
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

/** Today's date in the viewer's calendar, as a date input holds it. */
function todayIso(): string {
  const now = new Date();
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, "0")}-${String(now.getDate()).padStart(2, "0")}`;
}

const createSchema = z.object({
  name: z.string().trim().min(1, "Name the key, e.g. after the program using it.").max(100, "Use at most 100 characters."),
  scopes: z.array(z.enum(["read", "write"])).min(1, "Choose at least one permission."),
  expires_on: z.string().refine((value) => value === "" || value > todayIso(), "Choose a date after today."),
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
        <input {...register("expires_on")} type="date" min={todayIso()} />
      </Field>
      <FormAlert message={problem.message} />
      <div>
        <button type="submit" className="primary" disabled={create.isPending}>
          Create API key
        </button>
      </div>
    </form>
  );
}
