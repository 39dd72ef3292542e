import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function InstrumentsAdminScreen() {
  return <Page title="Instruments">Not built yet.</Page>;
}
