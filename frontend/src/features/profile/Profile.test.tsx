import { screen, waitFor, within } from "@testing-library/react";
import userEvent from "@testing-library/user-event";
import { describe, expect, it, vi } from "vitest";
import { connectSocket, renderChatApp, resetChatAppBetweenTests } from "../../test/chatApp.tsx";
import { ME } from "../../test/fixtures.ts";

vi.mock("socket.io-client", () => import("../../test/fakeSocket.ts"));

resetChatAppBetweenTests();

describe("profile", () => {
  it("renames me from my profile: a refused name shows next to the field, an accepted one in the sidebar", async () => {
    const { backend } = renderChatApp();
    await connectSocket();
    await userEvent.click(await screen.findByRole("button", { name: "Edit profile: Me Myself" }));
    const dialog = screen.getByRole("dialog", { name: "Your profile" });

    backend.routes.set("PUT /api/profile", () => ({
      status: 422,
      body: {
        detail: "name: must not be empty",
        errors: [{ loc: ["body", "name"], msg: "Value error, must not be empty", type: "value_error" }],
      },
    }));
    await userEvent.clear(within(dialog).getByLabelText("Name"));
    await userEvent.type(within(dialog).getByLabelText("Name"), "   ");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    await waitFor(() => expect(within(dialog).getByLabelText("Name")).toHaveAttribute("aria-invalid", "true"));
    expect(within(dialog).getByRole("alert")).toHaveTextContent("Must not be empty");

    backend.routes.set("PUT /api/profile", (body) => ({
      status: 200,
      body: { user: { id: ME, name: (body as { name: string }).name, avatar: null } },
    }));
    await userEvent.clear(within(dialog).getByLabelText("Name"));
    await userEvent.type(within(dialog).getByLabelText("Name"), "Me Renamed");
    await userEvent.click(within(dialog).getByRole("button", { name: "Save" }));
    expect(await screen.findByRole("button", { name: "Edit profile: Me Renamed" })).toBeInTheDocument();
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.calls.filter((c) => c.method === "PUT").map((c) => c.body)).toEqual([
      { name: "   " },
      { name: "Me Renamed" },
    ]);
  });

  it("refuses a file that is not a picture before uploading anything, and Escape closes", async () => {
    const { backend } = renderChatApp();
    await connectSocket();
    await userEvent.click(await screen.findByRole("button", { name: "Edit profile: Me Myself" }));
    const dialog = screen.getByRole("dialog", { name: "Your profile" });
    const pdf = new File(["%PDF-1.4"], "cv.pdf", { type: "application/pdf" });
    await userEvent.upload(within(dialog).getByLabelText("Profile picture"), pdf, { applyAccept: false });
    expect(within(dialog).getByRole("alert")).toHaveTextContent("Choose a JPG, PNG, WebP or GIF picture.");
    await userEvent.keyboard("{Escape}");
    expect(screen.queryByRole("dialog")).not.toBeInTheDocument();
    expect(backend.calls.some((c) => c.method === "PUT" || c.path === "/api/uploads")).toBe(false);
  });
});
