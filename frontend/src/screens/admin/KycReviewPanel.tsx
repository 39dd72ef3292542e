import { zodResolver } from "@hookform/resolvers/zod";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useForm } from "react-hook-form";
import { z } from "zod";
import { api, unwrap, type components } from "../../api/client";
import { ConfirmDialog, reasonSchema } from "../../components/ConfirmDialog";
import { Field } from "../../components/Field";
import { ErrorState } from "../../components/States";
import { Panel } from "../../components/Panel";
import { KycStatusBadge } from "../../components/StatusBadge";
import { Term, Terms } from "../../components/Terms";
import { UserName } from "../../components/UserName";
import { formatQuantity } from "../../lib/decimal";
import { formatDateTime, humanize } from "../../lib/format";
import type { UserDirectory } from "../../lib/users";
import styles from "./admin.module.css";
import { Applicant } from "./Applicant";
import { KycDocumentViewer } from "./KycDocumentViewer";
import { providerOutcome, revocable } from "./kycReview";

type ReviewItem = components["schemas"]["KycReviewItem"];
type KycTier = components["schemas"]["KycTier"];
type Decision = "approve" | "reject" | "request-info";

const decisionSchema = reasonSchema("optional").extend({ tier: z.enum(["basic", "full"]) });
type DecisionForm = z.infer<typeof decisionSchema>;

/** What an approval records when the reviewer adds no note (the API requires a reason). */
const APPROVAL_NOTE = "Identity verified on review of the documents and the provider's checks.";

/** Taking an application, deciding one taken, or revoking a verification. */
type ReviewStep = { action: "assign" } | { action: Decision; values: DecisionForm } | { action: "revoke"; reason: string };

/** What a step did, in words, for the applicant `who`. */
function outcome(step: ReviewStep, who: string): string {
  switch (step.action) {
    case "assign":
      return `${who}'s application is assigned to you.`;
    case "approve":
      return `Approved: ${who} is verified at the ${step.values.tier} tier.`;
    case "reject":
      return `Rejected: ${who} has been told why.`;
    case "request-info":
      return `Sent back: ${who} has been asked for more information.`;
    case "revoke":
      return `Revoked: ${who} can no longer trade; their orders are cancelled and their wallets frozen.`;
  }
}

/** Run a review step; every step answers the updated review item. */
function review(id: string, step: ReviewStep): Promise<ReviewItem> {
  const path = { params: { path: { application_id: id } } };
  switch (step.action) {
    case "assign":
      return unwrap(api.POST("/api/v1/admin/kyc/{application_id}/assign", path));
    case "approve":
      return unwrap(
        api.POST("/api/v1/admin/kyc/{application_id}/approve", {
          ...path,
          body: { tier: step.values.tier, reason: step.values.reason || APPROVAL_NOTE },
        }),
      );
    case "reject":
      return unwrap(api.POST("/api/v1/admin/kyc/{application_id}/reject", { ...path, body: { reason: step.values.reason } }));
    case "request-info":
      return unwrap(
        api.POST("/api/v1/admin/kyc/{application_id}/request-info", { ...path, body: { reason: step.values.reason } }),
      );
    case "revoke":
      return unwrap(api.POST("/api/v1/admin/kyc/{application_id}/revoke", { ...path, body: { reason: step.reason } }));
  }
}

/**
 * One application: the applicant's (masked) data, provider checks, documents and consents, and —
 * once assigned to me — the document and the decision (approve at a tier, reject, ask for more).
 */
export function KycReviewPanel({
  item,
  meId,
  directory,
  onChanged,
}: {
  item: ReviewItem;
  meId: string | undefined;
  directory: UserDirectory | undefined;
  /** The API's updated application, and what happened in words. */
  onChanged: (item: ReviewItem, outcome: string) => void;
}) {
  const queryClient = useQueryClient();
  const [rejecting, setRejecting] = useState<DecisionForm | null>(null);
  const [revoking, setRevoking] = useState(false);
  const form = useForm<DecisionForm>({
    resolver: zodResolver(decisionSchema),
    defaultValues: { reason: "", tier: suggestedTier(item) },
  });
  const mutation = useMutation({
    mutationFn: (step: ReviewStep) => review(item.id, step),
    onSuccess: (updated, step) => {
      setRejecting(null);
      setRevoking(false);
      onChanged(updated, outcome(step, directory?.[item.user_id]?.display_name ?? "the applicant"));
      void queryClient.invalidateQueries({ queryKey: ["admin", "kyc"] });
    },
  });
  const mine = Boolean(meId) && item.assignee_id === meId;
  const pending = item.status === "pending";
  const latest = item.documents[item.documents.length - 1];

  const decide = (action: Decision) =>
    form.handleSubmit((values) => {
      if (action !== "approve" && !values.reason) {
        form.setError("reason", { message: "Tell the investor why (at least 3 characters)." });
      } else if (action === "reject") setRejecting(values);
      else mutation.mutate({ action, values });
    });

  return (
    <Panel
      title={
        <>
          Application of <Applicant item={item} />
        </>
      }
    >
      <Terms>
        <Term label="Status">
          <KycStatusBadge status={item.status} />
          {item.tier && ` (${item.tier} tier)`}
        </Term>
        <Term label="PAN">{item.pan_masked}</Term>
        <Term label="Birth year">{item.birth_year}</Term>
        <Term label="PIN code">{item.pincode_masked}</Term>
        <Term label="Attempt">{item.attempt}</Term>
        <Term label="Submitted">{formatDateTime(item.submitted_at)}</Term>
        <Term label="Provider outcome">{providerOutcome(item)}</Term>
        <Term label="Assignee">
          {item.assignee_id ? <UserName id={item.assignee_id} directory={directory} /> : "Unassigned"}
        </Term>
        {item.decided_at && <Term label="Decided">{formatDateTime(item.decided_at)}</Term>}
        {item.reason && <Term label="Reason">{item.reason}</Term>}
        {item.revoked_at && (
          <Term label="Last revoked">
            {formatDateTime(item.revoked_at)}
            {item.revoked_by && (
              <>
                {" by "}
                <UserName id={item.revoked_by} directory={directory} />
              </>
            )}
            {item.revocation_reason && `: ${item.revocation_reason}`}
          </Term>
        )}
      </Terms>

      {item.provider_checks && Object.keys(item.provider_checks).length > 0 && (
        <>
          <h3>Provider checks</h3>
          <Terms>
            {Object.entries(item.provider_checks).map(([check, value]) => (
              <Term key={check} label={humanize(check)}>
                {checkValue(value)}
              </Term>
            ))}
          </Terms>
        </>
      )}

      <h3>Documents</h3>
      <ul>
        {item.documents.map((document) => (
          <li key={document.id}>
            {humanize(document.kind)} — {document.content_type}, {formatQuantity(document.size_bytes)} bytes, attempt{" "}
            {document.attempt}, {formatDateTime(document.created_at)}
          </li>
        ))}
      </ul>
      {latest &&
        (mine ? (
          <KycDocumentViewer key={item.id} applicationId={item.id} document={latest} />
        ) : (
          <p className="muted">Only the assignee may open the document.</p>
        ))}

      <h3>Consents</h3>
      <ul>
        {item.consents.map((consent) => (
          <li key={`${consent.purpose}-${consent.terms_version}`}>
            {consent.purpose} (terms {consent.terms_version}), {formatDateTime(consent.consented_at)}
          </li>
        ))}
      </ul>

      {mutation.isError && !rejecting && !revoking && <ErrorState error={mutation.error} />}

      {revocable(item, meId) && (
        <div className={styles.actions}>
          <button type="button" className="sell" onClick={() => setRevoking(true)} disabled={mutation.isPending}>
            Revoke verification
          </button>
        </div>
      )}

      {pending && !mine && (
        <div className={styles.actions}>
          <button
            type="button"
            className="primary"
            onClick={() => mutation.mutate({ action: "assign" })}
            disabled={mutation.isPending || Boolean(item.assignee_id)}
          >
            Assign to me
          </button>
          {item.assignee_id && <span className="muted">Another reviewer has taken this application.</span>}
        </div>
      )}

      {pending && mine && (
        <form onSubmit={(event) => event.preventDefault()} noValidate aria-label="Decision">
          <h3>Decision</h3>
          <Field label="Tier" hint="The verification level an approval grants (full satisfies basic).">
            <select {...form.register("tier")}>
              <option value="full">Full</option>
              <option value="basic">Basic</option>
            </select>
          </Field>
          <Field
            label="Reason"
            error={form.formState.errors.reason?.message}
            hint="Required to reject or ask for more, and shown to the investor; optional for an approval."
          >
            <textarea rows={3} maxLength={500} {...form.register("reason")} />
          </Field>
          <div className={styles.actions}>
            <button type="button" className="buy" onClick={(e) => void decide("approve")(e)} disabled={mutation.isPending}>
              Approve
            </button>
            <button type="button" onClick={(e) => void decide("request-info")(e)} disabled={mutation.isPending}>
              Request information
            </button>
            <button type="button" className="sell" onClick={(e) => void decide("reject")(e)} disabled={mutation.isPending}>
              Reject
            </button>
          </div>
        </form>
      )}

      {rejecting && (
        <ConfirmDialog
          title="Reject this application for good?"
          danger
          pending={mutation.isPending}
          error={mutation.error}
          onConfirm={() => mutation.mutate({ action: "reject", values: rejecting })}
          onClose={() => setRejecting(null)}
        >
          <p>The investor cannot resubmit after a rejection. They will see your reason:</p>
          <blockquote>{rejecting.reason}</blockquote>
        </ConfirmDialog>
      )}

      {revoking && (
        <ConfirmDialog
          title="Revoke this investor's verification?"
          danger
          reason="required"
          reasonLabel="Reason (shown to the investor)"
          confirmLabel="Revoke"
          pending={mutation.isPending}
          error={mutation.error}
          onConfirm={(reason) => mutation.mutate({ action: "revoke", reason: reason ?? "" })}
          onClose={() => setRevoking(false)}
        >
          <p>
            They can no longer trade: their resting orders are cancelled, and their wallets are removed from the identity
            registry and frozen on every token. They may apply again, for a review by compliance.
          </p>
        </ConfirmDialog>
      )}
    </Panel>
  );
}

/** The tier the provider's checks point to: basic when DigiLocker found no Aadhaar record. */
function suggestedTier(item: ReviewItem): KycTier {
  const digilocker = item.provider_checks?.digilocker;
  return typeof digilocker === "string" && digilocker !== "found" ? "basic" : "full";
}

/** A provider check's value in words. */
function checkValue(value: unknown): string {
  if (typeof value === "boolean") return value ? "Yes" : "No";
  return typeof value === "string" ? humanize(value) : JSON.stringify(value);
}
