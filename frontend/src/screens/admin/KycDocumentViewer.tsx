import { useMutation } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { authorizedGet, type components } from "../../api/client";
import { ErrorState } from "../../components/States";
import { useDownload } from "../../lib/download";
import styles from "./admin.module.css";

type KycDocument = components["schemas"]["KycDocumentOut"];

const EXTENSIONS: Record<string, string> = { "application/pdf": "pdf", "image/jpeg": "jpg", "image/png": "png" };

/** A blob as a data: URL (the app's content security policy allows data: images, not blob:). */
function dataUrl(blob: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error("The document could not be read."));
    reader.readAsDataURL(blob);
  });
}

/** A fetched document: images inline (data: URL), anything else through an object URL opened in a new tab. */
type Shown = { kind: "image"; url: string } | { kind: "file"; url: string };

/**
 * An application's latest document, fetched only when the reviewer asks (each view is logged):
 * an image inline, a PDF in a new tab; or downloaded. Key it by application so it starts over.
 */
export function KycDocumentViewer({ applicationId, document }: { applicationId: string; document: KycDocument }) {
  const path = `/api/v1/admin/kyc/${applicationId}/document`;
  const filename = `kyc-${document.id}.${EXTENSIONS[document.content_type] ?? "bin"}`;
  const [shown, setShown] = useState<Shown | null>(null);
  const view = useMutation({
    mutationFn: async (): Promise<Shown> => {
      const blob = await (await authorizedGet(path)).blob();
      const type = blob.type || document.content_type;
      return type.startsWith("image/")
        ? { kind: "image", url: await dataUrl(blob) }
        : { kind: "file", url: URL.createObjectURL(blob) };
    },
    onSuccess: setShown,
  });
  const save = useDownload();

  useEffect(() => () => {
    if (shown?.kind === "file") URL.revokeObjectURL(shown.url);
  }, [shown]);

  return (
    <div>
      <div className={styles.actions}>
        <button type="button" onClick={() => view.mutate()} disabled={view.isPending}>
          {view.isPending ? "Opening…" : "View document"}
        </button>
        <button type="button" onClick={() => save.mutate({ path, filename })} disabled={save.isPending}>
          Download document
        </button>
        {shown?.kind === "file" && (
          <a href={shown.url} target="_blank" rel="noopener">
            Open the document in a new tab
          </a>
        )}
      </div>
      {view.isError && <ErrorState error={view.error} />}
      {save.isError && <ErrorState error={save.error} />}
      {shown?.kind === "image" && (
        <img className={styles.document} src={shown.url} alt={`Identity document (${document.kind})`} />
      )}
    </div>
  );
}
