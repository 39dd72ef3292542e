import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { Link, useNavigate } from "@tanstack/react-router";
import { useForm } from "react-hook-form";
import { api, unwrap } from "../../api/client";
import { Field } from "../../components/Field";
import { Page } from "../../components/Page";
import { ErrorNotice } from "../../components/States";
import { useFormProblem } from "../../lib/formProblem";
import styles from "./Auth.module.css";
import { PASSWORD_MIN, registerSchema, signIn, type RegisterValues } from "./credentials";

/** Open an investor account, sign in with it and continue to identity verification. */
export function RegisterScreen() {
  const queryClient = useQueryClient();
  const navigate = useNavigate();
  const form = useForm<RegisterValues>({
    resolver: zodResolver(registerSchema),
    defaultValues: { display_name: "", email: "", password: "", confirm_password: "" },
  });
  const { register, handleSubmit, formState } = form;
  const problem = useFormProblem(form.setError, ["display_name", "email", "password"], {
    "auth.email_taken": "email",
    "auth.weak_password": "password",
  });

  const create = useMutation({
    mutationFn: async (values: RegisterValues) => {
      const credentials = { email: values.email.trim(), password: values.password };
      await unwrap(
        api.POST("/api/v1/auth/register", { body: { ...credentials, display_name: values.display_name.trim() } }),
      );
      try {
        await signIn(credentials, queryClient);
        return true;
      } catch {
        return false; // the account exists: signing in by hand is all that is left
      }
    },
    onSuccess: (signedIn) => {
      if (signedIn) void navigate({ to: "/onboarding" });
      else void navigate({ to: "/login", search: { redirect: "/onboarding" } });
    },
    onError: problem.show,
  });

  return (
    <Page title="Create an account">
      <div className={`panel ${styles.card}`}>
        <form
          noValidate
          onSubmit={handleSubmit((values) => {
            problem.clear();
            create.mutate(values);
          })}
        >
          <Field label="Display name" error={formState.errors.display_name?.message} hint="Shown on your account; not public.">
            <input {...register("display_name")} autoComplete="name" autoFocus maxLength={100} />
          </Field>
          <Field label="Email" error={formState.errors.email?.message}>
            <input {...register("email")} type="email" autoComplete="email" />
          </Field>
          <Field
            label="Password"
            error={formState.errors.password?.message}
            hint={`At least ${PASSWORD_MIN} characters, not your e-mail address. A passphrase of several words works well.`}
          >
            <input {...register("password")} type="password" autoComplete="new-password" />
          </Field>
          <Field label="Confirm password" error={formState.errors.confirm_password?.message}>
            <input {...register("confirm_password")} type="password" autoComplete="new-password" />
          </Field>
          <ErrorNotice message={problem.message} />
          <button type="submit" className="primary" disabled={create.isPending}>
            Create account
          </button>
        </form>
        <p className={styles.footer}>
          Already have an account? <Link to="/login">Sign in</Link>
        </p>
      </div>
    </Page>
  );
}
