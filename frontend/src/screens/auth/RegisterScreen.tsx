import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function RegisterScreen() {
  return <Page title="Create an account">Not built yet.</Page>;
}
