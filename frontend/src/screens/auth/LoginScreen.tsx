import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { getRouteApi, Link, useNavigate } from "@tanstack/react-router";
import { useEffect } from "react";
import { useForm } from "react-hook-form";
import { ApiProblem } from "../../api/problem";
import { Field } from "../../components/Field";
import { Page } from "../../components/Page";
import { ErrorNotice } from "../../components/States";
import { useFormProblem } from "../../lib/formProblem";
import { useSignedIn } from "../../lib/me";
import styles from "./Auth.module.css";
import { loginRequest, loginSchema, safeRedirect, signIn, type LoginValues } from "./credentials";
import { SecondFactorFields } from "./SecondFactorFields";

const route = getRouteApi("/login");

/** Sign in with e-mail and password, then an authenticator or recovery code when the account has one. */
export function LoginScreen() {
  const { redirect } = route.useSearch();
  const signedIn = useSignedIn();
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const form = useForm<LoginValues>({
    resolver: zodResolver(loginSchema),
    defaultValues: { email: "", password: "", factor: "none", totp_code: "", recovery_code: "" },
  });
  const { register, handleSubmit, watch, setValue, setFocus, clearErrors, formState } = form;
  const factor = watch("factor");
  const problem = useFormProblem(form.setError, ["email", "password", "totp_code", "recovery_code"], {
    "auth.mfa_invalid": factor === "recovery" ? "recovery_code" : "totp_code",
  });

  const login = useMutation({
    mutationFn: (values: LoginValues) => signIn(loginRequest(values), queryClient),
    onError: (error) => {
      if (error instanceof ApiProblem && error.code === "auth.mfa_required") {
        setValue("factor", "totp");
        problem.clear();
      } else {
        problem.show(error);
      }
    },
  });

  useEffect(() => {
    if (factor === "totp") setFocus("totp_code");
    if (factor === "recovery") setFocus("recovery_code");
  }, [factor, setFocus]);

  // Signed in (just now, or already when arriving here): go where the visitor was heading.
  useEffect(() => {
    if (signedIn) void navigate({ href: safeRedirect(redirect), replace: true });
  }, [signedIn, redirect, navigate]);

  return (
    <Page title="Sign in">
      <div className={`panel ${styles.card}`}>
        <form
          noValidate
          onSubmit={handleSubmit((values) => {
            problem.clear();
            login.mutate(values);
          })}
        >
          <Field label="Email" error={formState.errors.email?.message}>
            <input {...register("email")} type="email" autoComplete="username" autoFocus />
          </Field>
          <Field label="Password" error={formState.errors.password?.message}>
            <input {...register("password")} type="password" autoComplete="current-password" />
          </Field>
          {factor !== "none" && (
            <>
              <p className="notice">Two-factor login is on for this account.</p>
              <SecondFactorFields
                factor={factor}
                onFactorChange={(next) => {
                  clearErrors(["totp_code", "recovery_code"]);
                  setValue("factor", next);
                }}
                codeInput={register("totp_code")}
                recoveryInput={register("recovery_code")}
                codeError={formState.errors.totp_code?.message}
                recoveryError={formState.errors.recovery_code?.message}
              />
            </>
          )}
          <ErrorNotice message={problem.message} />
          <button type="submit" className="primary" disabled={login.isPending}>
            Sign in
          </button>
        </form>
        <p className={styles.footer}>
          New to Liquibond? <Link to="/register">Create an account</Link>
        </p>
      </div>
    </Page>
  );
}
