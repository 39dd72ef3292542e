import { useMutation } from "@tanstack/react-query";
import { download } from "../api/client";

/** What to fetch and the name to save it under. */
export interface FileRequest {
  path: string;
  filename: string;
}

/** A mutation that downloads a file with the session's token (its error is the server's problem). */
export function useDownload() {
  return useMutation({ mutationFn: ({ path, filename }: FileRequest) => download(path, filename) });
}
