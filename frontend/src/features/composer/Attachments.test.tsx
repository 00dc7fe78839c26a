import { QueryClientProvider } from "@tanstack/react-query";
import { act, render, screen, waitFor } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import { ApiClient } from "../../api/client.ts";
import type { Media } from "../../api/types.ts";
import { createQueryClient } from "../../App.tsx";
import { ApiClientProvider } from "../../data/ApiClientProvider.tsx";
import { FakeXhr } from "../../test/fakeXhr.ts";
import { Composer } from "./Composer.tsx";
import { useAttachments } from "./useAttachments.ts";

const photo: Media = {
  id: "med1",
  name: "cat.png",
  size: 2048,
  mime: "image/png",
  kind: "image",
  width: 800,
  height: 600,
  url: "/api/media/med1?sig=x",
  thumbnail_url: "/api/media/med1/thumbnail?sig=x",
};

function Harness({ onSend }: { onSend: (text: string, media: Media | null) => void }) {
  const { attachments, add, remove, clear } = useAttachments();
  return (
    <>
      <input type="file" aria-label="pick" onChange={(e) => add(Array.from(e.target.files ?? []))} />
      <Composer
        attachments={attachments}
        onAttach={() => {}}
        onRemoveAttachment={remove}
        onSend={onSend}
        onSent={clear}
        onTyping={() => {}}
      />
    </>
  );
}

function renderComposer() {
  const onSend = vi.fn();
  render(
    <QueryClientProvider client={createQueryClient()}>
      {/* Signed out is enough: uploads go through FakeXhr, which answers whatever the token. */}
      <ApiClientProvider client={new ApiClient({ getToken: () => null })}>
        <Harness onSend={onSend} />
      </ApiClientProvider>
    </QueryClientProvider>,
  );
  return onSend;
}

beforeEach(() => vi.stubGlobal("XMLHttpRequest", FakeXhr));
afterEach(() => vi.unstubAllGlobals());

describe("attachments in the composer", () => {
  it("shows upload progress, waits for it, then sends the file with the caption", async () => {
    const onSend = renderComposer();
    await userEvent.upload(screen.getByLabelText("pick"), new File(["x"], "cat.png", { type: "image/png" }));
    act(() => FakeXhr.last!.progress(30, 100));
    expect(screen.getByRole("progressbar", { name: "Uploading cat.png" })).toHaveAttribute("value", "30");
    await userEvent.type(screen.getByRole("textbox", { name: "Message" }), "look");
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
    act(() => FakeXhr.last!.respond(201, { media: photo }));
    await waitFor(() => expect(screen.getByRole("button", { name: "Send" })).toBeEnabled());
    await userEvent.click(screen.getByRole("button", { name: "Send" }));
    expect(onSend).toHaveBeenCalledWith("look", photo);
    expect(screen.queryByText("cat.png")).toBeNull();
  });

  it("cancel stops the upload and drops the file", async () => {
    renderComposer();
    await userEvent.upload(screen.getByLabelText("pick"), new File(["x"], "big.mp4", { type: "video/mp4" }));
    await userEvent.click(screen.getByRole("button", { name: "Cancel upload of big.mp4" }));
    expect(FakeXhr.last!.aborted).toBe(true);
    expect(screen.queryByText("big.mp4")).toBeNull();
  });

  it("explains a refused file with the API's detail", async () => {
    renderComposer();
    await userEvent.upload(screen.getByLabelText("pick"), new File(["x"], "huge.zip", { type: "application/zip" }));
    act(() => FakeXhr.last!.respond(413, { detail: "the file is larger than 25 MB" }));
    expect(await screen.findByRole("alert")).toHaveTextContent("The file is larger than 25 MB");
    expect(screen.getByRole("button", { name: "Send" })).toBeDisabled();
  });
});
