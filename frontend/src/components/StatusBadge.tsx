import type { components } from "../api/client";
import { humanize } from "../lib/format";
import styles from "./StatusBadge.module.css";

type InstrumentStatus = components["schemas"]["InstrumentStatus"];
type KycStatus = components["schemas"]["KycStatus"];

/** How alarming a status looks. */
export type Tone = "neutral" | "info" | "good" | "warn" | "bad";

const INSTRUMENT_TONES: Record<InstrumentStatus, Tone> = {
  draft: "neutral",
  pending_approval: "info",
  listed: "good",
  suspended: "warn",
  matured: "neutral",
  delisted: "bad",
};

const KYC_TONES: Record<KycStatus, Tone> = {
  pending: "info",
  needs_info: "warn",
  verified: "good",
  rejected: "bad",
  revoked: "bad",
};

/** A status code shown as a coloured pill ("pending_approval" → "Pending approval"). */
export function StatusBadge({ status, tone }: { status: string; tone: Tone }) {
  return <span className={`badge ${styles[tone]}`}>{humanize(status)}</span>;
}

/** An instrument's lifecycle status. */
export function InstrumentStatusBadge({ status }: { status: InstrumentStatus }) {
  return <StatusBadge status={status} tone={INSTRUMENT_TONES[status]} />;
}

/** A KYC application's status. */
export function KycStatusBadge({ status }: { status: KycStatus }) {
  return <StatusBadge status={status} tone={KYC_TONES[status]} />;
}
