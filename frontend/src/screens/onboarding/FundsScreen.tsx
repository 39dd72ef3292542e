import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function FundsScreen() {
  return <Page title="Funds">Not built yet.</Page>;
}
