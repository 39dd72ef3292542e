import type { ReactNode } from "react";
import { errorMessage } from "../api/problem";
import { useDownload } from "../lib/download";
import styles from "./DownloadButton.module.css";

/** A button that downloads one file, showing the problem if the server refuses. */
export function DownloadButton({ path, filename, children }: { path: string; filename: string; children: ReactNode }) {
  const fetchFile = useDownload();
  return (
    <span className={styles.download}>
      <button
        type="button"
        onClick={() => fetchFile.mutate({ path, filename })}
        disabled={fetchFile.isPending}
        aria-busy={fetchFile.isPending}
      >
        {children}
      </button>
      {fetchFile.isError && (
        <small className="field-error" role="alert">
          {errorMessage(fetchFile.error)}
        </small>
      )}
    </span>
  );
}
