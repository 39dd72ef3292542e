import type { components } from "../../api/client";
import { humanize } from "../../lib/format";

type ReviewItem = components["schemas"]["KycReviewItem"];

/** Whether `meId` may revoke the application's verification: it is verified, and not theirs. */
export function revocable(item: Pick<ReviewItem, "status" | "user_id">, meId: string | undefined): boolean {
  return item.status === "verified" && Boolean(meId) && item.user_id !== meId;
}

/** The provider's part in words: its outcome, or why there is none (yet). */
export function providerOutcome(item: Pick<ReviewItem, "provider_outcome" | "revoked_at" | "status">): string {
  if (item.provider_outcome) return humanize(item.provider_outcome);
  if (item.revoked_at && item.status === "pending") return "Not asked: a re-application after a revocation is reviewed by compliance";
  return "Awaiting the provider";
}
