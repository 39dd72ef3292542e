import { Link } from "@tanstack/react-router";
import { Page } from "../components/Page";

/** The page for an address the app does not know. */
export function NotFound() {
  return (
    <Page title="Page not found">
      <p>
        There is nothing at this address. <Link to="/markets">Go to the markets</Link>.
      </p>
    </Page>
  );
}
