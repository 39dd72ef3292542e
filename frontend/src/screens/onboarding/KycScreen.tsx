import { Page } from "../../components/Page";
import { ErrorState, Loading } from "../../components/States";
import { useKycApplication } from "./kyc";
import { KycForm } from "./KycForm";
import { KycStatusPanel } from "./KycStatusPanel";

/** Identity verification: the application's live status, and the form when one is due. */
export function KycScreen() {
  const application = useKycApplication();

  let body;
  if (application.isPending) body = <Loading />;
  else if (application.isError)
    body = <ErrorState error={application.error} onRetry={() => void application.refetch()} />;
  else if (application.data === null)
    body = (
      <>
        <p>
          Before you can add funds or trade, we need to confirm who you are, as Indian law requires of every
          investor. It takes a couple of minutes: have your PAN and a scan or photo of an identity document ready.
        </p>
        <div className="panel">
          <KycForm resubmission={false} />
        </div>
      </>
    );
  else
    body = (
      <>
        <KycStatusPanel application={application.data} />
        {(application.data.status === "needs_info" || application.data.status === "revoked") && (
          <div className="panel">
            <KycForm resubmission />
          </div>
        )}
      </>
    );

  return <Page title="Verify your identity">{body}</Page>;
}
