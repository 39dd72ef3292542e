import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function HistoryScreen() {
  return <Page title="Orders and trades">Not built yet.</Page>;
}
