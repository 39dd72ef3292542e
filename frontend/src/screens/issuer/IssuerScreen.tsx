import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function IssuerScreen() {
  return <Page title="My bonds">Not built yet.</Page>;
}
