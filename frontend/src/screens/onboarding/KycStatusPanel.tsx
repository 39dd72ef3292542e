import { Link } from "@tanstack/react-router";
import type { components } from "../../api/client";
import { DataTable, type Column } from "../../components/DataTable";
import { Panel } from "../../components/Panel";
import { formatDateTime } from "../../lib/format";
import { DOCUMENT_KINDS, KYC_STATUS_LABELS, type KycApplication } from "./kyc";
import styles from "./Kyc.module.css";

type KycTier = components["schemas"]["KycTier"];
type KycDocument = KycApplication["documents"][number];

const TIER_LABELS: Record<KycTier, string> = { full: "Full KYC", basic: "Basic KYC" };
const CONSENT_PURPOSES: Record<string, string> = { "kyc.identity_verification": "Identity checks" };
const FILE_TYPES: Record<string, string> = { "application/pdf": "PDF", "image/jpeg": "JPEG", "image/png": "PNG" };

function documentLabel(kind: string): string {
  return DOCUMENT_KINDS.find((item) => item.value === kind)?.label ?? kind;
}

function formatSize(bytes: number): string {
  return bytes < 1024 ? `${bytes} B` : `${Math.round(bytes / 1024)} KB`;
}

const DOCUMENT_COLUMNS: readonly Column<KycDocument>[] = [
  { header: "Document", cell: (document) => documentLabel(document.kind) },
  { header: "File", cell: (document) => FILE_TYPES[document.content_type] ?? document.content_type },
  { header: "Size", num: true, cell: (document) => formatSize(document.size_bytes) },
  { header: "Attempt", num: true, cell: (document) => document.attempt },
  { header: "Uploaded", cell: (document) => formatDateTime(document.created_at) },
];

/** Where the application stands (updating live), what is asked of the investor, and what was sent. */
export function KycStatusPanel({ application }: { application: KycApplication }) {
  const { status, tier } = application;
  return (
    <Panel title="Status of your application">
      <p className={styles.status} role="status" aria-live="polite">
        <span className={`${styles.statusBadge} ${styles[status]}`}>{KYC_STATUS_LABELS[status]}</span>
        {tier && <span className={styles.tier}>{TIER_LABELS[tier]}</span>}
      </p>
      <StatusExplanation application={application} />
      <ApplicationDetails application={application} />
    </Panel>
  );
}

function StatusExplanation({ application }: { application: KycApplication }) {
  switch (application.status) {
    case "pending":
      return (
        <p>
          We are checking your details. Automatic checks take a few seconds; when a compliance officer needs to look,
          it can take longer. This page updates by itself.
        </p>
      );
    case "verified":
      return (
        <>
          <p>
            Your identity is confirmed. You can now add funds and trade.
            {application.tier === "basic" && " Some instruments need full KYC."}
          </p>
          <p className={styles.next}>
            <Link to="/funds" className="button primary">
              Add funds
            </Link>
            <Link to="/markets" className="button">
              Browse markets
            </Link>
          </p>
        </>
      );
    case "needs_info":
      return (
        <div className="notice" role="note">
          <p>
            <strong>What we need:</strong> {application.reason ?? "Please check your details and document."}
          </p>
          <p>Correct your details and upload your document again in the form below.</p>
        </div>
      );
    case "rejected":
      return (
        <div className="notice notice-error">
          {application.reason && (
            <p>
              <strong>Reason:</strong> {application.reason}
            </p>
          )}
          <p>A rejected application cannot be resubmitted. If you think this is a mistake, please contact support.</p>
        </div>
      );
    case "revoked":
      return (
        <div className="notice notice-error">
          {application.reason && (
            <p>
              <strong>Reason:</strong> {application.reason}
            </p>
          )}
          <p>
            Your verification was revoked: you cannot trade, and your wallets are frozen. You may apply again below; a
            compliance officer will review it.
          </p>
        </div>
      );
  }
}

function ApplicationDetails({ application }: { application: KycApplication }) {
  return (
    <details className={styles.details}>
      <summary>What you sent</summary>
      <dl className={styles.facts}>
        <dt>PAN</dt>
        <dd>{application.pan_masked}</dd>
        <dt>Year of birth</dt>
        <dd>{application.birth_year}</dd>
        <dt>PIN code area</dt>
        <dd>{application.pincode_masked}</dd>
        <dt>Attempt</dt>
        <dd>{application.attempt}</dd>
        <dt>Submitted</dt>
        <dd>{formatDateTime(application.submitted_at)}</dd>
        {application.decided_at && (
          <>
            <dt>Decided</dt>
            <dd>{formatDateTime(application.decided_at)}</dd>
          </>
        )}
      </dl>
      <h3>Documents</h3>
      <DataTable columns={DOCUMENT_COLUMNS} rows={application.documents} rowKey={(document) => document.id} />
      <h3>Consents</h3>
      <ul>
        {application.consents.map((consent) => (
          <li key={`${consent.purpose}-${consent.consented_at}`}>
            {CONSENT_PURPOSES[consent.purpose] ?? consent.purpose}, terms version {consent.terms_version}, given{" "}
            {formatDateTime(consent.consented_at)}
          </li>
        ))}
      </ul>
    </details>
  );
}
