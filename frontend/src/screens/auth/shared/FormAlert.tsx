/** A form-level message: the server's answer that no single field shows. */
export function FormAlert({ message }: { message: string | null }) {
  if (!message) return null;
  return (
    <p className="notice notice-error" role="alert">
      {message}
    </p>
  );
}
