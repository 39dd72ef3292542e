import { Page } from "../../components/Page";
import { ApiKeysSection } from "./ApiKeysSection";
import { TwoFactorSection } from "./TwoFactorSection";

/** The account's security: two-factor login and API keys. */
export function SecurityScreen() {
  return (
    <Page title="Security">
      <TwoFactorSection />
      <ApiKeysSection />
    </Page>
  );
}
