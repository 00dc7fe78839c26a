import { ApiError, NetworkError, parseRetryAfter } from "./errors.ts";
import type { ErrorBody } from "./types.ts";

export type UploadHandle<T> = { promise: Promise<T>; abort: () => void };

/** The upload was cancelled by the user. */
export class UploadAborted extends Error {
  constructor() {
    super("Upload cancelled.");
    this.name = "UploadAborted";
  }
}

/**
 * POST a file as multipart field `file` with XMLHttpRequest, the one browser API
 * that reports upload progress. `abort()` rejects the promise with UploadAborted.
 */
export function uploadFile<T>(
  url: string,
  file: File,
  { token, onProgress }: { token: string | null; onProgress: (fraction: number) => void },
): UploadHandle<T> {
  const xhr = new XMLHttpRequest();
  const promise = new Promise<T>((resolve, reject) => {
    xhr.open("POST", url);
    xhr.responseType = "text";
    xhr.setRequestHeader("Accept", "application/json");
    if (token) xhr.setRequestHeader("Authorization", `Bearer ${token}`);
    xhr.upload.onprogress = (event) => {
      if (event.lengthComputable && event.total > 0) onProgress(event.loaded / event.total);
    };
    xhr.onload = () => {
      const body = parse(xhr.responseText);
      if (xhr.status >= 200 && xhr.status < 300 && body !== null) {
        onProgress(1);
        resolve(body as T);
      } else {
        reject(
          new ApiError(
            xhr.status,
            body as ErrorBody | null,
            parseRetryAfter(xhr.getResponseHeader("Retry-After")),
          ),
        );
      }
    };
    xhr.onerror = () => reject(new NetworkError("The upload failed. Check your connection and try again."));
    xhr.onabort = () => reject(new UploadAborted());
    const form = new FormData();
    form.append("file", file, file.name);
    xhr.send(form);
  });
  return { promise, abort: () => xhr.abort() };
}

function parse(text: string): unknown {
  if (!text) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}
