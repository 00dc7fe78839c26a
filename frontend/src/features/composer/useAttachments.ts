import { useCallback, useEffect, useRef, useState } from "react";
import { errorMessage } from "../../api/errors.ts";
import type { Media } from "../../api/types.ts";
import { UploadAborted } from "../../api/upload.ts";
import { useApi } from "../../data/ApiClientProvider.tsx";

export type Attachment = {
  id: string;
  file: File;
  /** A local object URL to preview pictures and videos before they are sent. */
  previewUrl: string | null;
  progress: number;
  status: "uploading" | "ready" | "error";
  media: Media | null;
  error: string | null;
};

let counter = 0;

function previewable(file: File): boolean {
  return file.type.startsWith("image/") || file.type.startsWith("video/");
}

/**
 * Files picked or dropped for the next message. Each uploads at once (with progress);
 * cancelling aborts the upload; a refused file keeps the API's reason until removed.
 */
export function useAttachments() {
  const api = useApi();
  const [attachments, setAttachments] = useState<Attachment[]>([]);
  const aborts = useRef(new Map<string, () => void>());
  const urls = useRef(new Map<string, string>());

  const patch = useCallback((id: string, change: Partial<Attachment>) => {
    setAttachments((list) => list.map((a) => (a.id === id ? { ...a, ...change } : a)));
  }, []);

  const forget = useCallback((id: string) => {
    aborts.current.get(id)?.();
    aborts.current.delete(id);
    const url = urls.current.get(id);
    if (url) URL.revokeObjectURL(url);
    urls.current.delete(id);
  }, []);

  const add = useCallback(
    (files: readonly File[]) => {
      for (const file of files) {
        const id = `att-${++counter}`;
        const previewUrl = previewable(file) && typeof URL.createObjectURL === "function" ? URL.createObjectURL(file) : null;
        if (previewUrl) urls.current.set(id, previewUrl);
        setAttachments((list) => [
          ...list,
          { id, file, previewUrl, progress: 0, status: "uploading", media: null, error: null },
        ]);
        const upload = api.upload(file, (progress) => patch(id, { progress }));
        aborts.current.set(id, upload.abort);
        upload.promise.then(
          (media) => {
            aborts.current.delete(id);
            patch(id, { status: "ready", media, progress: 1 });
          },
          (error: unknown) => {
            aborts.current.delete(id);
            if (error instanceof UploadAborted) return;
            patch(id, { status: "error", error: errorMessage(error) });
          },
        );
      }
    },
    [api, patch],
  );

  /** Cancel an upload in progress, or drop a file from the next message. */
  const remove = useCallback(
    (id: string) => {
      forget(id);
      setAttachments((list) => list.filter((a) => a.id !== id));
    },
    [forget],
  );

  /** After sending: these uploaded files are now messages. */
  const clear = useCallback(
    (ids: readonly string[]) => {
      for (const id of ids) forget(id);
      const gone = new Set(ids);
      setAttachments((list) => list.filter((a) => !gone.has(a.id)));
    },
    [forget],
  );

  useEffect(() => {
    const pending = aborts.current;
    const previews = urls.current;
    return () => {
      for (const abort of pending.values()) abort();
      for (const url of previews.values()) URL.revokeObjectURL(url);
    };
  }, []);

  return { attachments, add, remove, clear };
}
