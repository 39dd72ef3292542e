import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function KycScreen() {
  return <Page title="Verify your identity">Not built yet.</Page>;
}
