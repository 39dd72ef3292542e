import { Page } from "../../components/Page";

/** Placeholder until this screen lands. */
export function UsersScreen() {
  return <Page title="Users and roles">Not built yet.</Page>;
}
