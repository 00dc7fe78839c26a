import { describe, expect, it } from "vitest";
import { ApiError, NetworkError } from "../api/errors.ts";
import { formErrors, issueText } from "./formErrors.ts";

const fields = ["name", "email", "password"] as const;

describe("formErrors", () => {
  it("puts each 422 issue next to the field its loc ends with", () => {
    const error = new ApiError(422, {
      detail: "email: value is not a valid email address",
      errors: [
        { loc: ["body", "email"], msg: "value is not a valid email address", type: "value_error" },
        { loc: ["body", "password"], msg: "Value error, must be at least 8 characters", type: "value_error" },
      ],
    });
    expect(formErrors(error, fields)).toEqual({
      fields: { email: "Value is not a valid email address", password: "Must be at least 8 characters" },
      form: null,
    });
  });

  it("shows a 422 issue about no known field as a form-level message", () => {
    const error = new ApiError(422, { detail: "bad", errors: [{ loc: ["body"], msg: "Field required", type: "missing" }] });
    expect(formErrors(error, fields)).toEqual({ fields: {}, form: "Field required" });
  });

  it("shows 409 (email taken) under Email", () => {
    const error = new ApiError(409, { detail: "an account with this email already exists" });
    expect(formErrors(error, fields).fields.email).toBe("An account with this email already exists");
  });

  it("makes 401 and 429 form-level alerts", () => {
    expect(formErrors(new ApiError(401, { detail: "invalid email or password" }), fields).form).toBe(
      "Wrong email or password.",
    );
    expect(formErrors(new ApiError(429, { detail: "too many failed logins, try again later" }), fields).form).toBe(
      "Too many failed logins, try again later",
    );
  });

  it("explains an unreachable server", () => {
    expect(formErrors(new NetworkError(), fields).form).toMatch(/could not reach the server/i);
  });

  it("drops pydantic's 'Value error,' prefix", () => {
    expect(issueText("Value error, must not be empty")).toBe("Must not be empty");
  });
});
