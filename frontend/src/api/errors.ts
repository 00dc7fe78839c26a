import type { ErrorBody, ValidationIssue } from "./types.ts";

/** An HTTP error from the API, carrying its readable `detail` and any field-level issues. */
export class ApiError extends Error {
  readonly status: number;
  readonly detail: string;
  readonly issues: ValidationIssue[];
  readonly retryAfter: number | null;

  constructor(status: number, body: ErrorBody | null, retryAfter: number | null = null) {
    const detail = readableDetail(status, body);
    super(detail);
    this.name = "ApiError";
    this.status = status;
    this.detail = detail;
    this.issues = Array.isArray(body?.errors) ? body.errors : [];
    this.retryAfter = retryAfter;
  }
}

/** The request never got an HTTP answer (offline, aborted, server unreachable). */
export class NetworkError extends Error {
  constructor(message = "Could not reach the server. Check your connection and try again.") {
    super(message);
    this.name = "NetworkError";
  }
}

/** A success answer without the JSON body the API documents for it (a proxy's page, a truncated answer). */
export class UnreadableAnswer extends Error {
  constructor(method: string, path: string, status: number) {
    super(`${method} ${path} answered ${status} without a readable JSON body`);
    this.name = "UnreadableAnswer";
  }
}

function readableDetail(status: number, body: ErrorBody | null): string {
  const detail = body?.detail;
  if (typeof detail === "string" && detail.trim()) return sentence(detail);
  if (status === 413) return "That file is too large.";
  if (status === 415) return "That type of file is not allowed.";
  if (status === 429) return "Too many requests. Please wait a moment and try again.";
  if (status >= 500) return "The server had a problem. Please try again.";
  return `Request failed (${status}).`;
}

/** Capitalise the first letter: the API's details are sentences in lower case. */
export function sentence(text: string): string {
  const trimmed = text.trim();
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}

export function errorMessage(error: unknown): string {
  if (error instanceof ApiError || error instanceof NetworkError) return error.message;
  return "Something went wrong. Please try again.";
}

export function parseRetryAfter(value: string | null): number | null {
  if (value === null) return null;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}
