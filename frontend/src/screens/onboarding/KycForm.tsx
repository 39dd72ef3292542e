import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useForm } from "react-hook-form";
import { Field } from "../../components/Field";
import { ErrorNotice } from "../../components/States";
import { useFormProblem } from "../../lib/formProblem";
import {
  DOCUMENT_ACCEPT,
  DOCUMENT_KINDS,
  KYC_QUERY_KEY,
  KYC_TERMS_VERSION,
  MAX_DOCUMENT_BYTES,
  MINIMUM_AGE,
  kycSchema,
  submitKyc,
  utcToday,
  type KycForm as KycFormOutput,
  type KycValues,
} from "./kyc";
import styles from "./Kyc.module.css";

const FIELDS = [
  "pan",
  "date_of_birth",
  "address_line",
  "city",
  "state",
  "pincode",
  "document_kind",
  "document",
  "consent",
] as const;

/** The application form: identity, address, one document, and explicit consent. */
export function KycForm({ resubmission }: { resubmission: boolean }) {
  const queryClient = useQueryClient();
  const form = useForm<KycValues, unknown, KycFormOutput>({
    resolver: zodResolver(kycSchema),
    defaultValues: {
      pan: "",
      date_of_birth: "",
      address_line: "",
      city: "",
      state: "",
      pincode: "",
      document_kind: "pan_card",
      consent: false,
    },
  });
  const { register, handleSubmit, formState } = form;
  const errors = formState.errors;
  const problem = useFormProblem(form.setError, FIELDS, {
    "kyc.pan_in_use": "pan",
    "kyc.document_too_large": "document",
    "kyc.document_type_unsupported": "document",
    "kyc.document_type_mismatch": "document",
  });
  const submit = useMutation({
    mutationFn: submitKyc,
    onSuccess: (application) => {
      queryClient.setQueryData(KYC_QUERY_KEY, application);
      form.reset();
    },
    onError: (error) => {
      problem.show(error);
      // A conflict means the application moved on meanwhile: show where it stands now.
      void queryClient.invalidateQueries({ queryKey: KYC_QUERY_KEY });
    },
  });

  return (
    <form
      noValidate
      className={styles.form}
      aria-labelledby="kyc-form-heading"
      onSubmit={handleSubmit((values) => {
        problem.clear();
        submit.mutate(values);
      })}
    >
      <h2 id="kyc-form-heading">{resubmission ? "Update your application" : "Your details"}</h2>
      <p className="muted">
        Enter your details exactly as they appear on your PAN and address records.
        {resubmission && " Every field is needed again, with a fresh upload of your document."}
      </p>
      <Field label="PAN" error={errors.pan?.message} hint="Permanent Account Number, 10 characters, e.g. ABCPE1234F.">
        <input {...register("pan")} autoComplete="off" spellCheck={false} maxLength={10} className={styles.pan} />
      </Field>
      <Field label="Date of birth" error={errors.date_of_birth?.message} hint={`You must be ${MINIMUM_AGE} or older.`}>
        <input {...register("date_of_birth")} type="date" min="1900-01-02" max={utcToday()} autoComplete="bday" />
      </Field>
      <fieldset className={styles.group}>
        <legend>Residential address</legend>
        <Field label="Address" error={errors.address_line?.message} hint="House, street, locality.">
          <input {...register("address_line")} autoComplete="street-address" maxLength={200} />
        </Field>
        <div className="form-row">
          <Field label="City" error={errors.city?.message}>
            <input {...register("city")} autoComplete="address-level2" maxLength={100} />
          </Field>
          <Field label="State" error={errors.state?.message}>
            <input {...register("state")} autoComplete="address-level1" maxLength={100} />
          </Field>
          <Field label="PIN code" error={errors.pincode?.message}>
            <input {...register("pincode")} inputMode="numeric" autoComplete="postal-code" maxLength={6} />
          </Field>
        </div>
      </fieldset>
      <fieldset className={styles.group}>
        <legend>Proof of identity</legend>
        <Field label="Document type" error={errors.document_kind?.message}>
          <select {...register("document_kind")}>
            {DOCUMENT_KINDS.map((kind) => (
              <option key={kind.value} value={kind.value}>
                {kind.label}
              </option>
            ))}
          </select>
        </Field>
        <Field
          label="Identity document"
          error={errors.document?.message}
          hint={`A scan or photo of the whole document: PDF, JPEG or PNG, up to ${MAX_DOCUMENT_BYTES / 1024} KB, every corner visible and the text readable.`}
        >
          <input {...register("document")} type="file" accept={DOCUMENT_ACCEPT} />
        </Field>
      </fieldset>
      <ConsentText />
      <div className={styles.consent}>
        <Field label="I consent to Liquibond checking my identity as described above" error={errors.consent?.message}>
          <input {...register("consent")} type="checkbox" />
        </Field>
      </div>
      <ErrorNotice message={problem.message} />
      <div>
        <button type="submit" className="primary" disabled={submit.isPending}>
          Submit for verification
        </button>
        {submit.isPending && (
          <span className="muted" role="status">
            {" "}
            Uploading…
          </span>
        )}
      </div>
    </form>
  );
}

/** The consent the checkbox refers to, versioned as KYC_TERMS_VERSION. */
function ConsentText() {
  return (
    <section className={styles.terms} aria-labelledby="kyc-consent-heading">
      <h3 id="kyc-consent-heading">Consent to identity checks (terms version {KYC_TERMS_VERSION})</h3>
      <p>By ticking the box below you agree that Liquibond may:</p>
      <ul>
        <li>
          send your PAN, date of birth, address and the document you upload to its KYC provider, which checks your
          PAN with the Income Tax Department and may fetch your Aadhaar e-KYC record through DigiLocker to compare it
          with what you entered here;
        </li>
        <li>have a compliance officer review your details and document when the automatic checks are not conclusive;</li>
        <li>
          keep these details encrypted for as long as anti-money-laundering law requires, and use them only to
          establish your identity and to meet regulatory record-keeping duties.
        </li>
      </ul>
      <p className="muted">Your PAN and address are always shown masked, even to you.</p>
    </section>
  );
}
