import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function PortfolioScreen() {
  return <Page title="Portfolio">Not built yet.</Page>;
}
