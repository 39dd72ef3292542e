import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { api, unwrap, type components } from "../../api/client";
import { CopyButton } from "../../components/CopyButton";
import { Field } from "../../components/Field";
import { FormFooter } from "../../components/FormFooter";
import { Panel } from "../../components/Panel";
import { ErrorNotice, ErrorState, Loading } from "../../components/States";
import { useFormProblem } from "../../lib/formProblem";
import { useMe } from "../../lib/me";
import styles from "./Auth.module.css";
import { secondFactor, secondFactorSchema, type SecondFactorValues } from "./credentials";
import { SecondFactorFields } from "./SecondFactorFields";
import { groupInFours, totpSettings } from "./totp";

type Enrolment = components["schemas"]["TotpEnrolment"];

/** Two-factor login: set up an authenticator app, keep the recovery codes, or switch it off. */
export function TwoFactorSection() {
  const me = useMe();
  const [enrolment, setEnrolment] = useState<Enrolment | null>(null);
  const [recoveryCodes, setRecoveryCodes] = useState<string[] | null>(null);

  let body;
  if (recoveryCodes) body = <RecoveryCodes codes={recoveryCodes} onDone={() => setRecoveryCodes(null)} />;
  else if (me.isPending) body = <Loading />;
  else if (me.isError) body = <ErrorState error={me.error} onRetry={() => void me.refetch()} />;
  else if (me.data.mfa_enabled) body = <DisableTwoFactor />;
  else if (enrolment)
    body = (
      <ConfirmEnrolment
        enrolment={enrolment}
        onCancel={() => setEnrolment(null)}
        onConfirmed={(codes) => {
          setEnrolment(null);
          setRecoveryCodes(codes);
        }}
      />
    );
  else body = <StartEnrolment onStarted={setEnrolment} />;

  return (
    <Panel title="Two-factor login">{body}</Panel>
  );
}

function StartEnrolment({ onStarted }: { onStarted: (enrolment: Enrolment) => void }) {
  const start = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/me/mfa/totp")),
    onSuccess: onStarted,
  });
  return (
    <>
      <p>
        Two-factor login is <strong>off</strong>. Turn it on to ask for a code from an authenticator app (such as
        Google Authenticator, Microsoft Authenticator or 1Password) each time you sign in.
      </p>
      {start.isError && <ErrorState error={start.error} />}
      <button type="button" className="primary" disabled={start.isPending} onClick={() => start.mutate()}>
        Set up two-factor login
      </button>
    </>
  );
}

const confirmSchema = z.object({
  code: z.string().trim().regex(/^\d{6}$/, "Enter the 6-digit code from your authenticator app."),
});
type ConfirmValues = z.infer<typeof confirmSchema>;

function ConfirmEnrolment({
  enrolment,
  onCancel,
  onConfirmed,
}: {
  enrolment: Enrolment;
  onCancel: () => void;
  onConfirmed: (codes: string[]) => void;
}) {
  const queryClient = useQueryClient();
  const settings = totpSettings(enrolment.provisioning_uri);
  const form = useForm<ConfirmValues>({ resolver: zodResolver(confirmSchema), defaultValues: { code: "" } });
  const problem = useFormProblem(form.setError, ["code"], { "mfa.invalid_code": "code" });
  const confirm = useMutation({
    mutationFn: (values: ConfirmValues) =>
      unwrap(api.POST("/api/v1/me/mfa/totp/confirm", { body: { code: values.code.trim() } })),
    onSuccess: (result) => {
      void queryClient.invalidateQueries({ queryKey: ["me"] });
      onConfirmed(result.recovery_codes);
    },
    onError: problem.show,
  });

  return (
    <ol className={styles.steps}>
      <li>
        <p>
          In your authenticator app, add an account and choose to enter a setup key. Type this key (the spaces do not
          matter):
        </p>
        <p>
          <span className="muted">Secret key </span>
          <code className={styles.secret}>{groupInFours(enrolment.secret)}</code>
        </p>
        <p className={styles.actions}>
          <CopyButton text={enrolment.secret} label="Copy secret key" />
        </p>
        <p className="muted">
          Account: {settings.account} · Issuer: {settings.issuer} · Time-based, {settings.digits} digits, every{" "}
          {settings.period} seconds ({settings.algorithm})
        </p>
        <details>
          <summary>Setup link (otpauth URI)</summary>
          <p className={styles.uri}>{enrolment.provisioning_uri}</p>
          <p className={styles.actions}>
            <CopyButton text={enrolment.provisioning_uri} label="Copy setup link" />
            <a href={enrolment.provisioning_uri}>Open in an authenticator app on this device</a>
          </p>
        </details>
      </li>
      <li>
        <p>Enter the code the app now shows to finish.</p>
        <form
          noValidate
          onSubmit={form.handleSubmit((values) => {
            problem.clear();
            confirm.mutate(values);
          })}
        >
          <Field label="Authentication code" error={form.formState.errors.code?.message}>
            <input
              {...form.register("code")}
              inputMode="numeric"
              autoComplete="one-time-code"
              maxLength={6}
              className={styles.code}
            />
          </Field>
          <ErrorNotice message={problem.message} />
          <div className={styles.actions}>
            <button type="submit" className="primary" disabled={confirm.isPending}>
              Turn on two-factor login
            </button>
            <button type="button" onClick={onCancel}>
              Cancel
            </button>
          </div>
        </form>
      </li>
    </ol>
  );
}

function RecoveryCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <div>
      <p className="notice notice-success" role="status">
        Two-factor login is on.
      </p>
      <h3>Save your recovery codes</h3>
      <p>
        If you lose your authenticator, each of these codes signs you in once. Keep them somewhere safe, such as a
        password manager. <strong>They are shown only this once.</strong>
      </p>
      <ul className={styles.codes} aria-label="Recovery codes">
        {codes.map((code) => (
          <li key={code}>{code}</li>
        ))}
      </ul>
      <div className={styles.actions}>
        <CopyButton text={codes.join("\n")} label="Copy recovery codes" />
        <button type="button" className="primary" onClick={onDone}>
          I have saved them
        </button>
      </div>
    </div>
  );
}

function DisableTwoFactor() {
  const queryClient = useQueryClient();
  const form = useForm<SecondFactorValues>({
    resolver: zodResolver(secondFactorSchema),
    defaultValues: { factor: "totp", totp_code: "", recovery_code: "" },
  });
  const factor = form.watch("factor");
  const problem = useFormProblem(form.setError, ["totp_code", "recovery_code"], {
    "auth.mfa_invalid": factor === "recovery" ? "recovery_code" : "totp_code",
  });
  const disable = useMutation({
    mutationFn: (values: SecondFactorValues) =>
      unwrap(api.POST("/api/v1/me/mfa/totp/disable", { body: secondFactor(values) })),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ["me"] }),
    onError: problem.show,
  });

  return (
    <>
      <p>
        Two-factor login is <strong>on</strong>: signing in asks for a code from your authenticator app.
      </p>
      <form
        noValidate
        onSubmit={form.handleSubmit((values) => {
          problem.clear();
          disable.mutate(values);
        })}
      >
        <SecondFactorFields
          factor={factor === "recovery" ? "recovery" : "totp"}
          onFactorChange={(next) => {
            form.clearErrors(["totp_code", "recovery_code"]);
            form.setValue("factor", next);
          }}
          codeInput={form.register("totp_code")}
          recoveryInput={form.register("recovery_code")}
          codeError={form.formState.errors.totp_code?.message}
          recoveryError={form.formState.errors.recovery_code?.message}
        />
        <FormFooter message={problem.message} pending={disable.isPending} primary={false}>
          Turn off two-factor login
        </FormFooter>
      </form>
    </>
  );
}
