/** The applicant of a KYC application, as the queue item names them. */
export function Applicant({ item }: { item: { user_id: string; applicant_email: string; applicant_name: string } }) {
  return (
    <span title={item.user_id}>
      {item.applicant_name} <span className="muted">({item.applicant_email})</span>
    </span>
  );
}
