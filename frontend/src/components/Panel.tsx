import { useId, type ReactNode } from "react";

/**
 * A titled panel of a screen: a region named by its `<h2>`, with `actions` (buttons, a status)
 * beside the heading. `id` names the heading for links to it; otherwise one is made up.
 */
export function Panel({
  title,
  id,
  className,
  actions,
  busy,
  children,
}: {
  title: ReactNode;
  id?: string;
  className?: string | undefined;
  actions?: ReactNode;
  /** Marks the region busy (`aria-busy`) while its content is being replaced. */
  busy?: boolean;
  children: ReactNode;
}) {
  const made = useId();
  const headingId = id ?? made;
  const heading = <h2 id={headingId}>{title}</h2>;
  return (
    <section className={className ? `panel ${className}` : "panel"} aria-labelledby={headingId} aria-busy={busy}>
      {actions ? (
        <div className="panel-header">
          {heading}
          {actions}
        </div>
      ) : (
        heading
      )}
      {children}
    </section>
  );
}
