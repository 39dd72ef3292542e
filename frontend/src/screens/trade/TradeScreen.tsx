import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function TradeScreen() {
  return <Page title="Trade">Not built yet.</Page>;
}
