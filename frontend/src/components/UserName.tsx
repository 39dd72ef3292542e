import { shortId } from "../lib/format";
import type { UserDirectory } from "../lib/users";

/** A user's name and e-mail when the directory knows them, else the end of the id ("System" for none). */
export function UserName({ id, directory }: { id: string | null; directory: UserDirectory | undefined }) {
  if (!id) return <span className="muted">System</span>;
  const user = directory?.[id];
  if (!user) return <span title={id}>User {shortId(id)}</span>;
  return (
    <span title={id}>
      {user.display_name} <span className="muted">({user.email})</span>
    </span>
  );
}
