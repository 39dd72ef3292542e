import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function LoginScreen() {
  return <Page title="Sign in">Not built yet.</Page>;
}
