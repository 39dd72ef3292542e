import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function AuditScreen() {
  return <Page title="Audit log">Not built yet.</Page>;
}
