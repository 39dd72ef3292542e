import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function SecurityScreen() {
  return <Page title="Security">Not built yet.</Page>;
}
