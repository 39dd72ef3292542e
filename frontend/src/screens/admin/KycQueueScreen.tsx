import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function KycQueueScreen() {
  return <Page title="KYC review">Not built yet.</Page>;
}
