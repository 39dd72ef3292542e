import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function IssuerInstrumentScreen() {
  return <Page title="Bond">Not built yet.</Page>;
}
