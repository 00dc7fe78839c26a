import { ApiError, errorMessage, sentence } from "../api/errors.ts";

/** The fields of the account forms (log in, sign up, the profile), which the API names in its 422 issues. */
export type AccountField = "name" | "email" | "password";

export type FormErrors = {
  fields: Partial<Record<AccountField, string>>;
  form: string | null;
};

export const NO_ERRORS: FormErrors = { fields: {}, form: null };

/**
 * Turn an API error into messages next to the fields it concerns:
 * 422 issues go to the field their `loc` ends with, 409 (email taken) goes
 * under Email, anything else (401, 429, outages) is one form-level message.
 */
export function formErrors(error: unknown, fields: readonly AccountField[]): FormErrors {
  if (!(error instanceof ApiError)) return { fields: {}, form: errorMessage(error) };
  if (error.status === 409 && fields.includes("email")) {
    return { fields: { email: error.detail }, form: null };
  }
  if (error.status === 422 && error.issues.length > 0) {
    const result: FormErrors = { fields: {}, form: null };
    for (const issue of error.issues) {
      const field = fieldOf(issue.loc, fields);
      if (field === null) {
        result.form ??= sentence(issue.msg || error.detail);
      } else {
        result.fields[field] ??= issueText(issue.msg);
      }
    }
    return result;
  }
  if (error.status === 401) {
    return { fields: {}, form: "Wrong email or password." };
  }
  return { fields: {}, form: error.detail };
}

function fieldOf(loc: readonly (string | number)[], fields: readonly AccountField[]): AccountField | null {
  const last = loc[loc.length - 1];
  return typeof last === "string" && (fields as readonly string[]).includes(last) ? (last as AccountField) : null;
}

/** Pydantic prefixes custom messages with "Value error, "; a person needs only the rest. */
export function issueText(msg: string): string {
  const text = msg.replace(/^value error,\s*/i, "").trim();
  return text ? sentence(text) : "This value is not valid.";
}
