import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function MarketsScreen() {
  return <Page title="Markets">Not built yet.</Page>;
}
