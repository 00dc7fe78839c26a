import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { FakeXhr } from "../test/fakeXhr.ts";
import { ApiError } from "./errors.ts";
import { UploadAborted, uploadFile } from "./upload.ts";

const file = new File(["hello"], "hello.txt", { type: "text/plain" });

beforeEach(() => vi.stubGlobal("XMLHttpRequest", FakeXhr));
afterEach(() => vi.unstubAllGlobals());

describe("uploadFile", () => {
  it("posts multipart field `file` with the token and reports progress", async () => {
    const onProgress = vi.fn();
    const { promise } = uploadFile<{ media: { id: string } }>("/api/uploads", file, { token: "t", onProgress });
    const xhr = FakeXhr.last!;
    expect(xhr.method).toBe("POST");
    expect(xhr.headers.Authorization).toBe("Bearer t");
    expect((xhr.body as FormData).get("file")).toBeInstanceOf(File);
    xhr.progress(50, 100);
    expect(onProgress).toHaveBeenLastCalledWith(0.5);
    xhr.respond(201, { media: { id: "m1" } });
    await expect(promise).resolves.toEqual({ media: { id: "m1" } });
  });

  it("rejects with the API's detail for a refused file (413, 415)", async () => {
    const { promise } = uploadFile("/api/uploads", file, { token: "t", onProgress: () => {} });
    FakeXhr.last!.respond(415, { detail: "files of type text/html are not allowed" });
    const error = await promise.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ status: 415, message: "Files of type text/html are not allowed" });
  });

  it("cancel aborts the request", async () => {
    const { promise, abort } = uploadFile("/api/uploads", file, { token: "t", onProgress: () => {} });
    abort();
    expect(FakeXhr.last!.aborted).toBe(true);
    await expect(promise).rejects.toBeInstanceOf(UploadAborted);
  });
});
