import { useEffect, useState } from "react";

/** Copy `text` to the clipboard, saying so for a moment (and saying when the browser refuses). */
export function CopyButton({ text, label = "Copy" }: { text: string; label?: string }) {
  const [state, setState] = useState<"idle" | "copied" | "failed">("idle");
  useEffect(() => {
    if (state === "idle") return;
    const timer = setTimeout(() => setState("idle"), 2000);
    return () => clearTimeout(timer);
  }, [state]);

  async function copy() {
    try {
      await navigator.clipboard.writeText(text);
      setState("copied");
    } catch {
      setState("failed");
    }
  }

  return (
    <span>
      <button type="button" onClick={() => void copy()}>
        {label}
      </button>
      <span role="status" aria-live="polite" className="muted">
        {state === "copied" ? " Copied" : state === "failed" ? " Copy failed; select the text instead" : ""}
      </span>
    </span>
  );
}
